locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # Resource names: the same defaults as common/settings.py and the local stack (docs/design.md).
  bucket_name          = coalesce(var.bucket_name, "${var.name}-data")
  jobs_queue_name      = "${var.name}-jobs"
  dlq_name             = "${var.name}-jobs-dlq"
  templates_table_name = "${var.name}-templates"
  jobs_table_name      = "${var.name}-jobs"
  events_topic_name    = "${var.name}-events"

  # At least two availability zones: the load balancer needs two, and the GPU group may use any.
  azs = length(var.availability_zones) > 0 ? var.availability_zones : slice(sort(data.aws_availability_zones.available.names), 0, 2)

  gateway_port = 8080

  # Upload suffixes the worker accepts from the S3 drop (common/images.py checks magic bytes again).
  incoming_suffixes = ["jpg", "jpeg", "png", "bmp"]

  # Settings shared by both services (common/settings.py reads them; the endpoint URL stays unset in AWS).
  common_environment = {
    CUSTOMOCR_AWS_REGION        = var.region
    CUSTOMOCR_BUCKET            = aws_s3_bucket.data.bucket
    CUSTOMOCR_JOBS_QUEUE        = aws_sqs_queue.jobs.name
    CUSTOMOCR_DLQ               = aws_sqs_queue.dlq.name
    CUSTOMOCR_TEMPLATES_TABLE   = aws_dynamodb_table.templates.name
    CUSTOMOCR_JOBS_TABLE        = aws_dynamodb_table.jobs.name
    CUSTOMOCR_TOPIC_ARN         = aws_sns_topic.events.arn
    CUSTOMOCR_JOB_TTL_DAYS      = tostring(var.job_ttl_days)
    CUSTOMOCR_MAX_RECEIVE_COUNT = tostring(var.max_receive_count)
  }
}
