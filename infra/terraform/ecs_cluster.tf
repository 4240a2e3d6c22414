resource "aws_ecs_cluster" "main" {
  name = var.name

  # Container Insights would otherwise create this log group itself and destroy would leave it.
  depends_on = [aws_cloudwatch_log_group.container_insights]

  # Container Insights publishes RunningTaskCount, which the worker autoscaling divides by.
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "main" {
  cluster_name       = aws_ecs_cluster.main.name
  capacity_providers = ["FARGATE", aws_ecs_capacity_provider.worker_gpu.name]
}

resource "aws_cloudwatch_log_group" "gateway" {
  name              = "/${var.name}/gateway"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
  #checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (default 30 days): request logs of a stateless service, not audit records.
}

resource "aws_cloudwatch_log_group" "worker" {
  name              = "/${var.name}/worker"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
  #checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (default 30 days): job logs of a stateless service, not audit records.
}

# Container Insights writes its performance events here; created (and destroyed) by Terraform.
resource "aws_cloudwatch_log_group" "container_insights" {
  name              = "/aws/ecs/containerinsights/${var.name}/performance"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
  #checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (default 30 days): performance samples, not audit records.
}
