# Job events: one message per terminal job state, with message attributes status and template_id
# for subscription filter policies.
resource "aws_sns_topic" "events" {
  name              = local.events_topic_name
  kms_master_key_id = aws_kms_key.main.arn
}

resource "aws_sns_topic_subscription" "events" {
  for_each = { for i, s in var.event_subscriptions : tostring(i) => s }

  topic_arn     = aws_sns_topic.events.arn
  protocol      = each.value.protocol
  endpoint      = each.value.endpoint
  filter_policy = each.value.filter_policy
  # The worker's JSON body is the message; https and sqs subscribers get it without the SNS envelope.
  raw_message_delivery = each.value.protocol == "email" ? false : true
}

# Operator alarms (alarms.tf) go to their own topic so that event subscribers see only job events.
resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.main.arn
}

resource "aws_sns_topic_subscription" "alarm_emails" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

data "aws_iam_policy_document" "alarms_topic" {
  statement {
    sid       = "CloudWatchAlarmsOfThisAccount"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]
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

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarms_topic.json
}
