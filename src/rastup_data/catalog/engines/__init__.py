"""One renderer per engine; ``ENGINES`` maps the ``--engine`` name to it."""

from __future__ import annotations

from collections.abc import Mapping

from rastup_data.catalog.engines import athena, glue, spark, trino
from rastup_data.catalog.engines._base import DdlOptions, Renderer

__all__ = ["ENGINES", "DdlOptions", "Renderer"]

ENGINES: Mapping[str, Renderer] = {
    "athena": athena.render,
    "glue": glue.render,
    "spark": spark.render,
    "trino": trino.render,
}
