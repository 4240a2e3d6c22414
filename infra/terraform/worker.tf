# The OCR worker: an ECS service on GPU instances (EC2 capacity provider), one GPU per task.

# The ECS GPU-optimised Amazon Linux 2023 AMI (NVIDIA driver, container toolkit, ECS agent),
# resolved from AWS's public SSM parameter at plan time.
data "aws_ssm_parameter" "ecs_gpu_ami" {
  name = "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"
}

locals {
  worker_environment = merge(local.common_environment, {
    CUSTOMOCR_DEVICE               = "gpu"
    CUSTOMOCR_MODEL_PROFILE        = var.model_profile
    CUSTOMOCR_OCR_PROCESSES        = tostring(var.worker_ocr_processes)
    CUSTOMOCR_OCR_BATCH_SIZE       = tostring(var.worker_ocr_batch_size)
    CUSTOMOCR_MAX_IN_FLIGHT        = tostring(var.worker_max_in_flight)
    CUSTOMOCR_VISIBILITY_TIMEOUT_S = tostring(var.visibility_timeout_s)
  })
}

# --- security groups -----------------------------------------------------------------------------

resource "aws_security_group" "worker_instances" {
  name        = "${var.name}-worker-instances"
  description = "GPU container instances of ${var.name}: no inbound traffic"
  vpc_id      = aws_vpc.main.id
}

resource "aws_vpc_security_group_egress_rule" "worker_instances_https" {
  security_group_id = aws_security_group.worker_instances.id
  description       = "ECS agent, ECR image pulls, CloudWatch"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_security_group" "worker" {
  name        = "${var.name}-worker"
  description = "Worker tasks of ${var.name}: no inbound traffic"
  vpc_id      = aws_vpc.main.id
}

resource "aws_vpc_security_group_egress_rule" "worker_https" {
  security_group_id = aws_security_group.worker.id
  description       = "AWS APIs (S3, SQS, DynamoDB, SNS)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

# --- GPU instances -------------------------------------------------------------------------------

resource "aws_launch_template" "worker" {
  name_prefix            = "${var.name}-worker-"
  image_id               = nonsensitive(data.aws_ssm_parameter.ecs_gpu_ami.value)
  instance_type          = var.worker_instance_type
  vpc_security_group_ids = [aws_security_group.worker_instances.id]

  iam_instance_profile {
    arn = aws_iam_instance_profile.worker.arn
  }

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
    # 1 hop: containers cannot reach the instance role's credentials through IMDS.
    http_put_response_hop_limit = 1
  }

  monitoring {
    enabled = true
  }

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size           = var.worker_root_volume_gb
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  dynamic "instance_market_options" {
    for_each = var.worker_spot ? [1] : []
    content {
      market_type = "spot"
    }
  }

  user_data = base64encode(<<-EOT
    #!/bin/bash
    cat >> /etc/ecs/ecs.config <<CONFIG
    ECS_CLUSTER=${aws_ecs_cluster.main.name}
    ECS_ENABLE_GPU_SUPPORT=true
    ECS_AWSVPC_BLOCK_IMDS=true
    ECS_ENABLE_SPOT_INSTANCE_DRAINING=${var.worker_spot}
    ECS_IMAGE_PULL_BEHAVIOR=prefer-cached
    CONFIG
  EOT
  )

  tag_specifications {
    resource_type = "instance"
    tags          = { Name = "${var.name}-worker" }
  }
}

resource "aws_autoscaling_group" "worker" {
  name                = "${var.name}-worker"
  min_size            = 0
  max_size            = var.worker_max_instances
  vpc_zone_identifier = aws_subnet.private[*].id
  # ECS managed termination protection needs scale-in protection on the instances...
  protect_from_scale_in = true
  # ...and without force_delete, terraform destroy would wait forever on protected instances.
  force_delete = true

  launch_template {
    id      = aws_launch_template.worker.id
    version = aws_launch_template.worker.latest_version
  }

  tag {
    key                 = "AmazonECSManaged"
    value               = "true"
    propagate_at_launch = true
  }

  lifecycle {
    # Managed scaling owns the desired capacity.
    ignore_changes = [desired_capacity]
  }
}

resource "aws_ecs_capacity_provider" "worker_gpu" {
  name = "${var.name}-worker-gpu"

  auto_scaling_group_provider {
    auto_scaling_group_arn         = aws_autoscaling_group.worker.arn
    managed_termination_protection = "ENABLED"
    managed_draining               = "ENABLED"

    # Managed scaling keeps exactly as many GPU instances as the worker tasks need (0 when none).
    managed_scaling {
      status                    = "ENABLED"
      target_capacity           = 100
      minimum_scaling_step_size = 1
      maximum_scaling_step_size = var.worker_max_instances
    }
  }
}

# --- task and service ----------------------------------------------------------------------------

resource "aws_ecs_task_definition" "worker" {
  family                   = "${var.name}-worker"
  requires_compatibilities = ["EC2"]
  network_mode             = "awsvpc"
  cpu                      = var.worker_cpu
  memory                   = var.worker_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.worker.arn

  container_definitions = jsonencode([{
    name                 = "worker"
    image                = "${aws_ecr_repository.images["worker"].repository_url}:${var.image_tag}"
    essential            = true
    resourceRequirements = [{ type = "GPU", value = "1" }]
    environment          = [for k, v in local.worker_environment : { name = k, value = v }]
    # SIGTERM: the worker stops receiving and finishes or releases in-flight jobs within this time.
    stopTimeout = 120
    # An init process reaps the OCR process pool's children.
    linuxParameters = { initProcessEnabled = true }
    healthCheck = {
      command     = ["CMD", "test", "-f", "/tmp/customocr-worker-ready"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 300 # model load and warm-up before the ready file appears
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.worker.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "worker"
      }
    }
  }])
  #checkov:skip=CKV_AWS_336:Paddle and PaddleX write caches under the home directory while loading models; a read-only root file system is not verified for them.
}

resource "aws_ecs_service" "worker" {
  name            = "${var.name}-worker"
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.worker.arn
  desired_count   = var.worker_min_tasks

  capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.worker_gpu.name
    weight            = 1
    base              = 0
  }

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.worker.id]
    assign_public_ip = false
  }

  # Fill multi-GPU instances before starting new ones.
  ordered_placement_strategy {
    type  = "binpack"
    field = "memory"
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    # Application Auto Scaling owns the desired count (autoscaling.tf).
    ignore_changes = [desired_count]
  }

  depends_on = [aws_ecs_cluster_capacity_providers.main, aws_iam_role_policy.worker]
}
