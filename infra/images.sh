#!/usr/bin/env bash
# Build the gateway and GPU worker images and push them to the stack's ECR repositories.
#
#   infra/images.sh            # tag = current git commit (+ "-dirty-<time>" for uncommitted changes)
#   IMAGE_TAG=v1 infra/images.sh
#
# The repositories come from `terraform output` in infra/terraform (apply the stack, or at least its
# ECR repositories, first; docs/deploy.md shows the order). Needs docker (with buildx for
# --platform), the AWS CLI and terraform on PATH. Prints the tag to pass as -var image_tag=...
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tf_dir="${TF_DIR:-$repo_root/infra/terraform}"

tf_output() {
  terraform -chdir="$tf_dir" output -raw "$1"
}

if [[ -z "${IMAGE_TAG:-}" ]]; then
  IMAGE_TAG="$(git -C "$repo_root" rev-parse --short=12 HEAD)"
  # ECR repositories are immutable: a build of uncommitted changes gets its own tag.
  if [[ -n "$(git -C "$repo_root" status --porcelain)" ]]; then
    IMAGE_TAG="$IMAGE_TAG-dirty-$(date -u +%Y%m%d%H%M%S)"
  fi
fi

region="$(tf_output region)"
gateway_repo="$(tf_output gateway_repository_url)"
worker_repo="$(tf_output worker_repository_url)"
registry="${gateway_repo%%/*}"

aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry"

# ECS runs both services on x86_64 (Fargate X86_64 and the GPU instances).
docker build --platform linux/amd64 --target gateway --tag "$gateway_repo:$IMAGE_TAG" "$repo_root"
docker build --platform linux/amd64 --target worker --tag "$worker_repo:$IMAGE_TAG" "$repo_root"
docker push "$gateway_repo:$IMAGE_TAG"
docker push "$worker_repo:$IMAGE_TAG"

echo "pushed $gateway_repo:$IMAGE_TAG"
echo "pushed $worker_repo:$IMAGE_TAG"
echo "image_tag=$IMAGE_TAG"
