# One customer-managed key encrypts every store of the stack that accepts one: the data bucket,
# both tables, the topics, the API-key secret, the ECR repositories and the log groups. The queues
# use SSE-SQS instead (see sqs.tf).

resource "aws_kms_key" "main" {
  description             = "${var.name}: data, tables, topics, secret, images and logs"
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "main" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.main.key_id
}

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_109:Key policy: the account-root statement is AWS's default key policy, which hands control of the key to IAM in this account; in a key policy "*" as resource means this key only.
  #checkov:skip=CKV_AWS_111:Key policy: as above, the account-root statement delegates to IAM; the task roles get narrow kms actions on this key ARN in iam.tf.
  #checkov:skip=CKV_AWS_356:Key policy: a key policy's resource is always "*" (the key it is attached to); no other resource can be named.
  statement {
    sid       = "AccountAdministersKeyThroughIam"
    actions   = ["kms:*"] # reason: AWS's default key policy; IAM policies in this account decide who may use the key.
    resources = ["*"]     # reason: in a key policy "*" is the key the policy is attached to.
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid = "CloudWatchLogsEncryptsThisStacksLogGroups"
    actions = [
      "kms:Encrypt",
      "kms:Decrypt",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:DescribeKey",
    ]
    resources = ["*"] # reason: in a key policy "*" is the key the policy is attached to.
    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values = [
        "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:/${var.name}/*",
        "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:/aws/ecs/containerinsights/${var.name}/*",
      ]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublishToEncryptedAlarmTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"] # reason: in a key policy "*" is the key the policy is attached to.
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}
