provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ Project = var.name, ManagedBy = "terraform" }, var.tags)
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

# Used only when availability_zones is empty: then the first two zone names in sorted order, a
# set that a newly opened zone (always a later letter) does not change.
data "aws_availability_zones" "available" {
  state = "available"
  #checkov:skip=CKV_AWS_394:Only the first two names of the sorted list are used (locals.tf); set availability_zones to pin zones explicitly.
}
