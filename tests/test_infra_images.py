"""Offline checks of the container images: the Dockerfile, .dockerignore, infra/images.sh.

No Docker engine runs here, so no image is built. What is checked: hadolint and checkov lint the
Dockerfile; every file a stage COPYs or runs exists in the build context and is not dropped by
.dockerignore; each target's file set imports (the gateway's without Paddle); the GPU stage pairs
its CUDA base with the matching Paddle index; images.sh passes shellcheck and, with stand-in
terraform/aws/docker commands, builds and pushes both targets to the Terraform outputs.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import ModuleType

import pytest

from tests.test_infra_tools import infra_tool, run_tool

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "Dockerfile"


def _load_docker_requirements() -> ModuleType:
    """infra/ is scripts, not a package: load the one the Dockerfile runs, by path."""
    spec = importlib.util.spec_from_file_location(
        "docker_requirements", REPO / "infra" / "docker_requirements.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


requirements = _load_docker_requirements().requirements


@dataclass
class Instruction:
    keyword: str
    args: str


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [i.args for i in self.instructions if i.keyword == keyword]


def parse_dockerfile(text: str) -> list[Stage]:
    """Stages and their instructions; continuation lines joined, comments and parser directives dropped."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", args.strip(), flags=re.IGNORECASE)
            assert match, line
            stages.append(Stage(name=match.group(2) or str(len(stages)), base=match.group(1)))
        elif stages:
            stages[-1].instructions.append(Instruction(keyword, args.strip()))
    return stages


@pytest.fixture(scope="module")
def stages() -> dict[str, Stage]:
    return {stage.name: stage for stage in parse_dockerfile(DOCKERFILE.read_text())}


def dockerignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore drops this context path (patterns used here: paths, globs, **/ prefixes)."""
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if pattern.startswith("**/"):
            tail = pattern[3:]
            candidates = ["/".join(parts[i : j + 1]) for i in range(len(parts)) for j in range(i, len(parts))]
            if any(fnmatch.fnmatchcase(c, tail) for c in candidates):
                return True
        elif any(fnmatch.fnmatchcase(p, pattern) for p in prefixes):
            return True
    return False


def copy_args(args: str) -> tuple[str | None, list[str], str]:
    """(--from stage or None, sources, destination) of a COPY/ADD."""
    tokens = shlex.split(args)
    source_stage = None
    plain: list[str] = []
    for token in tokens:
        if token.startswith("--from="):
            source_stage = token.removeprefix("--from=")
        elif not token.startswith("--"):
            plain.append(token)
    return source_stage, plain[:-1], plain[-1]


def stage_chain(stage: Stage, stages: dict[str, Stage]) -> list[Stage]:
    chain = [stage]
    while chain[-1].base in stages:
        chain.append(stages[chain[-1].base])
    return list(reversed(chain))


def context_files(stage: Stage, stages: dict[str, Stage]) -> dict[str, str]:
    """Container path -> build-context path of everything the stage and its parents COPY from the context."""
    files: dict[str, str] = {}
    workdir = "/"  # inherited from the parent stage
    for part in stage_chain(stage, stages):
        for instruction in part.instructions:
            if instruction.keyword == "WORKDIR":
                workdir = str(PurePosixPath(workdir) / instruction.args)
            if instruction.keyword not in ("COPY", "ADD"):
                continue
            source_stage, sources, dest = copy_args(instruction.args)
            if source_stage is not None:
                continue
            target = PurePosixPath(workdir) / dest
            for source in sources:
                if dest.endswith("/") and not source.endswith("/"):
                    files[str(target / PurePosixPath(source).name)] = source
                else:
                    files[str(target)] = source.rstrip("/")
    return files


TARGETS = ("gateway", "worker", "worker-cpu")


def test_targets_exist(stages: dict[str, Stage]) -> None:
    assert set(TARGETS) <= set(stages)


def test_every_copy_source_is_in_the_build_context(stages: dict[str, Stage]) -> None:
    patterns = dockerignore_patterns()
    seen: list[str] = []
    for name, stage in stages.items():
        for instruction in stage.instructions:
            if instruction.keyword not in ("COPY", "ADD"):
                continue
            source_stage, sources, _ = copy_args(instruction.args)
            if source_stage is not None:
                earlier = list(stages)[: list(stages).index(name)]
                assert source_stage in earlier, f"{name}: COPY --from={source_stage} names no earlier stage"
                continue
            for source in sources:
                assert (REPO / source).exists(), f"{name}: COPY source {source} does not exist"
                assert not ignored(source.rstrip("/"), patterns), (
                    f"{name}: {source} is excluded by .dockerignore"
                )
                seen.append(source)
    assert "pyproject.toml" in seen


def test_dockerignore_matcher_drops_what_it_should() -> None:
    patterns = dockerignore_patterns()
    assert ignored("models/dev/PP-OCRv4_mobile_det/inference.pdmodel", patterns)
    assert ignored("common/__pycache__/settings.cpython-311.pyc", patterns)
    assert ignored("infra/terraform/terraform.tfstate", patterns)
    assert not ignored("models/profiles.json", patterns)
    assert not ignored("worker/pipeline/engine.py", patterns)


def test_scripts_the_build_runs_are_copied_in(stages: dict[str, Stage]) -> None:
    """`python some/script.py` in a RUN resolves, through the stage's COPYs, to a file in the repo."""
    checked = 0
    for stage in stages.values():
        files = context_files(stage, stages)
        workdir = "/"
        for part in stage_chain(stage, stages)[:-1]:
            for instruction in part.instructions:
                if instruction.keyword == "WORKDIR":
                    workdir = str(PurePosixPath(workdir) / instruction.args)
        for instruction in stage.instructions:
            if instruction.keyword == "WORKDIR":
                workdir = str(PurePosixPath(workdir) / instruction.args)
            if instruction.keyword != "RUN":
                continue
            for script in re.findall(r"\bpython3? ([\w./-]+\.py)\b", instruction.args):
                container_path = PurePosixPath(workdir) / script
                source = next(
                    (
                        str(PurePosixPath(src) / container_path.relative_to(dst))
                        for dst, src in files.items()
                        if container_path == PurePosixPath(dst) or container_path.is_relative_to(dst)
                    ),
                    None,
                )
                assert source is not None, f"{stage.name}: {script} is run but never copied into the image"
                assert (REPO / source).is_file(), (
                    f"{stage.name}: runs {script}, but {source} is not in the repo"
                )
                checked += 1
    assert checked >= 3  # docker_requirements.py, models/fetch_dev.py, models/fetch_manifest.py


@pytest.mark.parametrize("target", TARGETS)
def test_targets_run_as_non_root_with_a_healthcheck(stages: dict[str, Stage], target: str) -> None:
    chain = stage_chain(stages[target], stages)
    users = [u for part in chain for u in part.all("USER")]
    assert users, f"{target} runs as root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, f"{target}: USER {users[-1]} must be a numeric non-root id"
    assert stages[target].all("HEALTHCHECK"), f"{target} has no HEALTHCHECK"
    (cmd,) = stages[target].all("CMD")
    module = "producer" if target == "gateway" else "worker"
    assert cmd == f'["python", "-m", "{module}"]'


def test_worker_healthcheck_uses_the_ready_file(stages: dict[str, Stage]) -> None:
    from common.settings import Settings

    ready_file = str(Settings.model_fields["ready_file"].default)
    for target in ("worker", "worker-cpu"):
        (check,) = stages[target].all("HEALTHCHECK")
        assert f'"test", "-f", "{ready_file}"' in check


def test_gpu_worker_pairs_cuda_base_and_paddle_index(stages: dict[str, Stage]) -> None:
    worker = stages["worker"]
    match = re.fullmatch(r"nvidia/cuda:(\d+)\.(\d+)\.\d+-cudnn-runtime-ubuntu[\d.]+", worker.base)
    assert match, f"GPU worker base {worker.base} is not a CUDA+cuDNN runtime image"
    args = global_args()
    assert (
        args["PADDLE_GPU_INDEX"] == f"https://www.paddlepaddle.org.cn/packages/stable/cu{match[1]}{match[2]}/"
    )
    assert args["PADDLE_GPU_VERSION"].startswith("3.")
    installs = [r for r in worker.all("RUN") if "paddlepaddle-gpu" in r]
    assert installs == [
        'pip install --no-cache-dir "paddlepaddle-gpu==${PADDLE_GPU_VERSION}" '
        '--index-url "${PADDLE_GPU_INDEX}"'
    ]
    envs = " ".join(worker.all("ENV"))
    assert "CUSTOMOCR_DEVICE=gpu" in envs and "CUSTOMOCR_MODEL_PROFILE=ppocrv5-" in envs


def global_args() -> dict[str, str]:
    """Default values of the ARGs declared before the first FROM."""
    head = DOCKERFILE.read_text().split("\nFROM ", 1)[0]
    return dict(re.findall(r"^ARG (\w+)=(\S+)$", head, flags=re.MULTILINE))


# --- requirements per target ---------------------------------------------------------------------


def test_requirements_per_target_come_from_pyproject() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    gateway = requirements(pyproject, "gateway")
    cpu = requirements(pyproject, "worker-cpu")
    gpu = requirements(pyproject, "worker-gpu")
    assert gateway == pyproject["project"]["dependencies"]
    assert not any("paddle" in r for r in gateway)
    assert any(re.match(r"paddlepaddle==3\.", r) for r in cpu)
    assert not any(re.match(r"paddlepaddle\b(?!-)", r) for r in gpu)
    assert any(r.startswith("paddleocr") for r in gpu)
    (headless,) = [r for r in gateway if r.startswith("opencv-python-headless==")]
    version = headless.split("==")[1]
    assert requirements(pyproject, "opencv-contrib") == [f"opencv-contrib-python=={version}"]
    with pytest.raises(ValueError):
        requirements(pyproject, "nope")


# --- each target's file set works ----------------------------------------------------------------


def assemble(stage: Stage, stages: dict[str, Stage], root: Path) -> Path:
    """Lay the stage's COPYs from the build context out under root (its WORKDIR /app)."""
    for container_path, source in context_files(stage, stages).items():
        if not container_path.startswith("/app/"):
            continue
        target = root / container_path.removeprefix("/app/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if (REPO / source).is_dir():
            shutil.copytree(
                REPO / source, target, ignore=shutil.ignore_patterns("__pycache__", "cache", "dev")
            )
        else:
            shutil.copy2(REPO / source, target)
    return root


def run_in(root: Path, code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMOCR_")}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env={**env, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_gateway_file_set_imports_without_paddle(stages: dict[str, Stage], tmp_path: Path) -> None:
    root = assemble(stages["gateway"], stages, tmp_path)
    code = (
        "import sys\n"
        "for name in ('paddle', 'paddleocr', 'paddlex'):\n"
        "    sys.modules[name] = None  # the gateway image has no Paddle: importing it must fail\n"
        "import producer.app, producer.__main__\n"
        "import os; print(os.path.dirname(os.path.dirname(producer.app.__file__)))\n"
    )
    result = run_in(root, code)
    assert result.returncode == 0, result.stderr[-3000:]
    assert Path(result.stdout.strip()) == root, "imported the repository's code instead of the image's"


def test_worker_file_set_finds_its_model_profiles(stages: dict[str, Stage], tmp_path: Path) -> None:
    root = assemble(stages["worker"], stages, tmp_path)
    code = (
        "from pathlib import Path\n"
        "from worker.pipeline.config import EngineConfig\n"
        "import worker.__main__\n"
        "for profile in ('ppocrv5-mobile', 'ppocrv5-server'):\n"
        "    models = EngineConfig(profile=profile, model_root=Path('/app/models/ppocrv5')).models()\n"
        "    print(models.detection.path)\n"
        "print(EngineConfig().profiles_file)\n"
    )
    result = run_in(root, code)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.split()
    assert lines[-1] == str(root / "models" / "profiles.json")
    assert "/app/models/ppocrv5/PP-OCRv5_mobile_det" in lines


# --- linters -------------------------------------------------------------------------------------


def test_hadolint() -> None:
    result = run_tool([infra_tool("hadolint"), "--no-color", DOCKERFILE])
    assert result.returncode == 0, result.stdout + result.stderr


def test_checkov_dockerfile_has_no_failed_checks() -> None:
    checkov = infra_tool("checkov")
    result = run_tool(
        [checkov, "-f", DOCKERFILE, "--framework", "dockerfile", "--skip-download", "--quiet", "--compact"]
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "Failed checks: 0" in result.stdout


# --- images.sh -----------------------------------------------------------------------------------


def test_images_script_passes_shellcheck() -> None:
    result = run_tool([infra_tool("shellcheck"), REPO / "infra" / "images.sh"])
    assert result.returncode == 0, result.stdout


STAND_IN = """#!/usr/bin/env bash
# Stand-in for {name}: records its arguments (this unit test has no docker, AWS or terraform).
echo "{name} $*" >> "$CALLS"
case "{name} $*" in
  "terraform -chdir="*" output -raw region") echo -n eu-west-1 ;;
  "terraform -chdir="*" output -raw gateway_repository_url") echo -n "$REGISTRY/c-gateway" ;;
  "terraform -chdir="*" output -raw worker_repository_url") echo -n "$REGISTRY/c-worker" ;;
  "aws ecr get-login-password"*) echo secret-token ;;
  "docker login"*) cat > /dev/null ;;
esac
"""


def test_images_script_builds_and_pushes_both_targets(tmp_path: Path) -> None:
    """Unit test with stand-in terraform/aws/docker commands that record their calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("terraform", "aws", "docker"):
        tool = bin_dir / name
        tool.write_text(STAND_IN.format(name=name))
        tool.chmod(0o755)
    calls = tmp_path / "calls"
    registry = "111.dkr.ecr.eu-west-1.amazonaws.com"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "CALLS": str(calls),
        "REGISTRY": registry,
        "IMAGE_TAG": "abc123",
    }
    result = subprocess.run(
        ["bash", str(REPO / "infra" / "images.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    docker = [line for line in calls.read_text().splitlines() if line.startswith("docker ")]
    assert docker == [
        f"docker login --username AWS --password-stdin {registry}",
        f"docker build --platform linux/amd64 --target gateway --tag {registry}/c-gateway:abc123 {REPO}",
        f"docker build --platform linux/amd64 --target worker --tag {registry}/c-worker:abc123 {REPO}",
        f"docker push {registry}/c-gateway:abc123",
        f"docker push {registry}/c-worker:abc123",
    ]
    assert "aws ecr get-login-password --region eu-west-1" in calls.read_text()
    assert result.stdout.splitlines()[-1] == "image_tag=abc123"
