output "api_url" {
  description = "Base URL of the gateway (POST /custom_ocr, GET /jobs/{id}, GET /healthz)."
  value       = "${local.https_enabled ? "https" : "http"}://${aws_lb.gateway.dns_name}"
}

output "load_balancer_dns_name" {
  description = "DNS name of the load balancer: point your domain here (alias/CNAME) when certificate_arn is set."
  value       = aws_lb.gateway.dns_name
}

output "region" {
  description = "Region of the stack."
  value       = var.region
}

output "bucket" {
  description = "Data bucket (CUSTOMOCR_BUCKET). Upload to incoming/<template_id>/<name>.jpg for the S3 drop."
  value       = aws_s3_bucket.data.bucket
}

output "jobs_queue_url" {
  description = "URL of the jobs queue (CUSTOMOCR_JOBS_QUEUE is its name)."
  value       = aws_sqs_queue.jobs.id
}

output "dlq_url" {
  description = "URL of the dead-letter queue (CUSTOMOCR_DLQ is its name)."
  value       = aws_sqs_queue.dlq.id
}

output "templates_table" {
  description = "DynamoDB templates table (CUSTOMOCR_TEMPLATES_TABLE)."
  value       = aws_dynamodb_table.templates.name
}

output "jobs_table" {
  description = "DynamoDB jobs table (CUSTOMOCR_JOBS_TABLE)."
  value       = aws_dynamodb_table.jobs.name
}

output "events_topic_arn" {
  description = "SNS topic of job events (CUSTOMOCR_TOPIC_ARN)."
  value       = aws_sns_topic.events.arn
}

output "alarms_topic_arn" {
  description = "SNS topic of the operator alarms."
  value       = aws_sns_topic.alarms.arn
}

output "api_keys_secret_id" {
  description = "Secrets Manager secret holding the JSON list of API keys (CUSTOMOCR_API_KEYS_SECRET_ID)."
  value       = aws_secretsmanager_secret.api_keys.arn
}

output "gateway_repository_url" {
  description = "ECR repository of the gateway image."
  value       = aws_ecr_repository.images["gateway"].repository_url
}

output "worker_repository_url" {
  description = "ECR repository of the GPU worker image."
  value       = aws_ecr_repository.images["worker"].repository_url
}

output "cluster_name" {
  description = "ECS cluster running both services."
  value       = aws_ecs_cluster.main.name
}
