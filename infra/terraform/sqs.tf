# Jobs queue and its dead-letter queue. Both use SSE-SQS: S3 event notifications can be delivered to
# an SSE-SQS queue without a KMS grant for the S3 service, and no KMS request is billed per message.

resource "aws_sqs_queue" "dlq" {
  name                      = local.dlq_name
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600 # the maximum: time to inspect and redrive failed jobs
}

resource "aws_sqs_queue" "jobs" {
  name                       = local.jobs_queue_name
  sqs_managed_sse_enabled    = true
  visibility_timeout_seconds = var.visibility_timeout_s
  message_retention_seconds  = var.message_retention_s
  receive_wait_time_seconds  = 20 # long polling, as the worker does

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })

  lifecycle {
    precondition {
      condition     = var.visibility_timeout_s > var.max_job_seconds
      error_message = "visibility_timeout_s must be greater than max_job_seconds, or a running job's message reappears to another worker."
    }
  }
}

# Only the jobs queue may redrive into the DLQ.
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.jobs.arn]
  })
}

# S3 may send event notifications from this stack's bucket only. The gateway and worker reach the
# queue through their task roles (iam.tf), which need no queue policy.
data "aws_iam_policy_document" "jobs_queue" {
  statement {
    sid       = "DataBucketEventNotifications"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.jobs.arn]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.data.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sqs_queue_policy" "jobs" {
  queue_url = aws_sqs_queue.jobs.id
  policy    = data.aws_iam_policy_document.jobs_queue.json
}
