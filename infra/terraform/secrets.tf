# API keys the gateway accepts in the x-api-key header: a JSON list of strings.

resource "random_password" "api_key" {
  count = length(var.api_keys) == 0 ? 1 : 0

  length  = 40
  special = false
}

resource "aws_secretsmanager_secret" "api_keys" {
  name        = "${var.name}-api-keys"
  description = "JSON list of API keys accepted by the ${var.name} gateway (x-api-key header)."
  kms_key_id  = aws_kms_key.main.arn
  # Deleted at once on destroy, so that a later apply can create the same name again.
  recovery_window_in_days = 0
  #checkov:skip=CKV2_AWS_57:The keys are handed to API clients; rotating them is an operator action (change api_keys and apply), not a Lambda rotation.
}

resource "aws_secretsmanager_secret_version" "api_keys" {
  secret_id     = aws_secretsmanager_secret.api_keys.id
  secret_string = jsonencode(length(var.api_keys) == 0 ? random_password.api_key[*].result : var.api_keys)
}
