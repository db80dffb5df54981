"""The wheel's build hook: compiles the Segment mapping's C extension
(``src/rastup_data/collector/segment/_fastmap.c``, see docs/segment-api.md).

Hatchling still lays out the wheel (the packages and the data folders it force-includes);
setuptools' ``build_ext`` only compiles the one module, with the compiler and flags of the
Python that builds it. The module is built in place beside its source, so an editable
install (``make setup``) imports it from ``src/``; a wheel takes it from there too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MODULE = "rastup_data.collector.segment._fastmap"
SOURCE = "src/rastup_data/collector/segment/_fastmap.c"


class FastmapBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        built = _build_in_place(Path(self.root))
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if version != "editable":  # the module is in the source tree's ignored files
            build_data["force_include"][str(built)] = built.relative_to(
                Path(self.root) / "src"
            ).as_posix()


def _build_in_place(root: Path) -> Path:
    """Compiles the module beside its source and returns the path of the built file."""
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    extension = Extension(MODULE, [str(root / SOURCE)])
    dist = Distribution({"name": "rastup-data", "ext_modules": [extension]})
    dist.package_dir = {"": str(root / "src")}
    command = build_ext(dist)
    command.inplace = True
    command.force = True
    command.build_temp = str(root / "build" / "temp")
    command.ensure_finalized()
    command.run()
    return Path(command.get_ext_fullpath(MODULE))
