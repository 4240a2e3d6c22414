resource "aws_dynamodb_table" "templates" {
  name                        = local.templates_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "template_id"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "template_id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.main.arn
  }
}

resource "aws_dynamodb_table" "jobs" {
  name                        = local.jobs_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "job_id"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "job_id"
    type = "S"
  }

  # The application writes expires_at (epoch seconds) = created_at + CUSTOMOCR_JOB_TTL_DAYS.
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.main.arn
  }
}
