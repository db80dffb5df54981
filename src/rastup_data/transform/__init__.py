"""Transforms: the dbt project runner, write-audit-publish builds and the NRT ops views."""

from rastup_data.transform._dbt import NodeOutcome as NodeOutcome
from rastup_data.transform._dbt import dbt_project_dir as dbt_project_dir
from rastup_data.transform._dbt import installed_parse_manifest as installed_parse_manifest
from rastup_data.transform._gates import GateOutcome as GateOutcome
from rastup_data.transform.build import BuildEvent as BuildEvent
from rastup_data.transform.build import BuildFailed as BuildFailed
from rastup_data.transform.build import BuildOptions as BuildOptions
from rastup_data.transform.build import BuildResult as BuildResult
from rastup_data.transform.build import CheckFailure as CheckFailure
from rastup_data.transform.build import build as build
from rastup_data.transform.build import prepare_build as prepare_build
from rastup_data.transform.nrt import NrtFreshness as NrtFreshness
from rastup_data.transform.nrt import NrtMode as NrtMode
from rastup_data.transform.nrt import NrtResult as NrtResult
from rastup_data.transform.nrt import read_nrt_freshness as read_nrt_freshness
from rastup_data.transform.nrt import refresh_nrt as refresh_nrt
from rastup_data.transform.published import PublishedFiles as PublishedFiles
from rastup_data.transform.published import open_published as open_published
from rastup_data.transform.published import published_files as published_files

__all__ = [
    "BuildEvent",
    "BuildFailed",
    "BuildOptions",
    "BuildResult",
    "CheckFailure",
    "GateOutcome",
    "NodeOutcome",
    "NrtFreshness",
    "NrtMode",
    "NrtResult",
    "PublishedFiles",
    "build",
    "dbt_project_dir",
    "installed_parse_manifest",
    "open_published",
    "prepare_build",
    "published_files",
    "read_nrt_freshness",
    "refresh_nrt",
]
