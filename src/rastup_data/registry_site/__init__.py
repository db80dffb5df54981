"""The schema registry site and data dictionary (static HTML, searchable offline)."""

from rastup_data.registry_site.lake_site import current_site as current_site
from rastup_data.registry_site.lake_site import refresh_lake_site as refresh_lake_site
from rastup_data.registry_site.site import SiteOptions as SiteOptions
from rastup_data.registry_site.site import SiteResult as SiteResult
from rastup_data.registry_site.site import build_site as build_site
from rastup_data.registry_site.usage import USAGE_SOURCES as USAGE_SOURCES

__all__ = [
    "USAGE_SOURCES",
    "SiteOptions",
    "SiteResult",
    "build_site",
    "current_site",
    "refresh_lake_site",
]
