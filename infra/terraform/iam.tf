# One task role per service, each allowed exactly the calls its code makes (common/store.py,
# common/queue.py, common/notify.py) on this stack's own resources; plus one execution role that
# ECS uses to pull the images and write the logs.

locals {
  data_bucket_arn = aws_s3_bucket.data.arn
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# --- execution role (image pull, log delivery) ---------------------------------------------------

resource "aws_iam_role" "execution" {
  name               = "${var.name}-ecs-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "execution" {
  #checkov:skip=CKV_AWS_356:ecr:GetAuthorizationToken supports no resource-level permissions; AWS requires "*" for it. Every other statement names this stack's ARNs.
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # reason: ecr:GetAuthorizationToken has no resource type; "*" is the only accepted value.
  }

  statement {
    sid = "PullThisStacksImages"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = [for repo in aws_ecr_repository.images : repo.arn]
  }

  statement {
    sid     = "WriteServiceLogs"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      "${aws_cloudwatch_log_group.gateway.arn}:log-stream:*",
      "${aws_cloudwatch_log_group.worker.arn}:log-stream:*",
    ]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-images-write-logs"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# --- gateway task role ---------------------------------------------------------------------------

resource "aws_iam_role" "gateway" {
  name               = "${var.name}-gateway-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "gateway" {
  statement {
    sid       = "WriteTemplatesAndQueries"
    actions   = ["s3:PutObject"]
    resources = ["${local.data_bucket_arn}/templates/*", "${local.data_bucket_arn}/queries/*"]
  }

  statement {
    sid       = "ReadResults"
    actions   = ["s3:GetObject"]
    resources = ["${local.data_bucket_arn}/results/*"]
  }

  # Template deletion removes templates/<id>/ by listing that prefix (common/store.py delete_prefix).
  statement {
    sid       = "DeleteTemplates"
    actions   = ["s3:DeleteObject"]
    resources = ["${local.data_bucket_arn}/templates/*"]
  }

  statement {
    sid       = "ListTemplatePrefixes"
    actions   = ["s3:ListBucket"]
    resources = [local.data_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["templates/*"]
    }
  }

  dynamic "statement" {
    for_each = length(var.gateway_extra_read_bucket_arns) > 0 ? [1] : []
    content {
      sid       = "ReadQueryImagesFromNamedBuckets"
      actions   = ["s3:GetObject"]
      resources = [for arn in var.gateway_extra_read_bucket_arns : "${arn}/*"]
    }
  }

  statement {
    sid = "TemplatesTable"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:DeleteItem",
      "dynamodb:Scan",
      "dynamodb:DescribeTable",
    ]
    resources = [aws_dynamodb_table.templates.arn]
  }

  statement {
    sid = "JobsTable"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DescribeTable",
    ]
    resources = [aws_dynamodb_table.jobs.arn]
  }

  statement {
    sid = "SendJobs"
    actions = [
      "sqs:SendMessage",
      "sqs:GetQueueUrl",
      "sqs:GetQueueAttributes",
    ]
    resources = [aws_sqs_queue.jobs.arn]
  }

  statement {
    sid       = "ReadApiKeys"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.api_keys.arn]
  }

  # SSE-KMS objects, the encrypted secret and the tables are read and written with the stack key.
  statement {
    sid       = "UseStackKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.main.arn]
  }
}

resource "aws_iam_role_policy" "gateway" {
  name   = "gateway"
  role   = aws_iam_role.gateway.id
  policy = data.aws_iam_policy_document.gateway.json
}

# --- worker task role ----------------------------------------------------------------------------

resource "aws_iam_role" "worker" {
  name               = "${var.name}-worker-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "worker" {
  statement {
    sid     = "ReadInputs"
    actions = ["s3:GetObject"]
    resources = [
      "${local.data_bucket_arn}/templates/*",
      "${local.data_bucket_arn}/queries/*",
      "${local.data_bucket_arn}/incoming/*",
    ]
  }

  statement {
    sid       = "WriteResults"
    actions   = ["s3:PutObject"]
    resources = ["${local.data_bucket_arn}/results/*"]
  }

  statement {
    sid = "ConsumeJobs"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:GetQueueUrl",
      "sqs:GetQueueAttributes",
    ]
    resources = [aws_sqs_queue.jobs.arn]
  }

  # A message that is no job at all (poison) is forwarded to the DLQ at once (worker/jobs.py).
  statement {
    sid       = "DeadLetters"
    actions   = ["sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }

  statement {
    sid       = "ReadTemplates"
    actions   = ["dynamodb:GetItem"]
    resources = [aws_dynamodb_table.templates.arn]
  }

  statement {
    sid       = "JobsTable"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.jobs.arn]
  }

  statement {
    sid       = "PublishJobEvents"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.events.arn]
  }

  statement {
    sid       = "UseStackKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.main.arn]
  }
}

resource "aws_iam_role_policy" "worker" {
  name   = "worker"
  role   = aws_iam_role.worker.id
  policy = data.aws_iam_policy_document.worker.json
}

# --- GPU container instances ---------------------------------------------------------------------

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "worker_instance" {
  name               = "${var.name}-worker-instance"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
}

# AWS's managed policy for the ECS container agent (register the instance, poll for tasks, pull
# images for the agent). Its statements use "*" where the ECS agent API offers no resource scope;
# it is AWS's own and the recommended role for ECS container instances.
resource "aws_iam_role_policy_attachment" "worker_instance_ecs" {
  role       = aws_iam_role.worker_instance.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
}

resource "aws_iam_instance_profile" "worker" {
  name = "${var.name}-worker-instance"
  role = aws_iam_role.worker_instance.name
}
