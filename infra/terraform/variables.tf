# --- naming and placement ------------------------------------------------------------------------

variable "name" {
  description = "Prefix of every resource name. The defaults of the application settings (common/settings.py) and of the local stack assume \"customocr\"."
  type        = string
  default     = "customocr"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  description = "AWS region of the whole stack."
  type        = string
  default     = "us-east-1"
}

variable "tags" {
  description = "Extra tags put on every resource (merged into the provider's default_tags)."
  type        = map(string)
  default     = {}
}

variable "bucket_name" {
  description = "Name of the data bucket. S3 names are global: leave null for \"<name>-data\" and set it when that name is taken in another account."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)."
  }
}

variable "availability_zones" {
  description = "Availability zones of the subnets (2 to 8). Empty: the region's first two. Pick zones that offer worker_instance_type."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) == 0 || (length(var.availability_zones) >= 2 && length(var.availability_zones) <= 8)
    error_message = "availability_zones must be empty or list 2 to 8 zones."
  }
}

variable "vpc_cidr" {
  description = "CIDR of the stack's own VPC; one public and one private subnet (a sixteenth of it each) per availability zone are cut from it."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && tonumber(split("/", var.vpc_cidr)[1]) <= 18
    error_message = "vpc_cidr must be an IPv4 CIDR of /18 or larger."
  }
}

# --- teardown ------------------------------------------------------------------------------------

variable "force_destroy" {
  description = "Let `terraform destroy` empty the data and log buckets (all object versions) and the ECR repositories. Off by default so that a destroy never silently deletes data."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Deletion protection on the DynamoDB tables and the load balancer. Must be false for `terraform destroy` to succeed."
  type        = bool
  default     = false
}

# --- data lifecycle ------------------------------------------------------------------------------

variable "incoming_expiry_days" {
  description = "Days after which objects under incoming/ (S3 drop uploads) expire."
  type        = number
  default     = 7

  validation {
    condition     = var.incoming_expiry_days >= 1
    error_message = "incoming_expiry_days must be at least 1."
  }
}

variable "queries_expiry_days" {
  description = "Days after which query images under queries/ expire."
  type        = number
  default     = 14

  validation {
    condition     = var.queries_expiry_days >= 1
    error_message = "queries_expiry_days must be at least 1."
  }
}

variable "results_expiry_days" {
  description = "Days after which result files under results/ expire."
  type        = number
  default     = 30

  validation {
    condition     = var.results_expiry_days >= 1
    error_message = "results_expiry_days must be at least 1."
  }
}

variable "noncurrent_version_expiry_days" {
  description = "Days after which overwritten or deleted object versions are removed (the bucket is versioned)."
  type        = number
  default     = 7

  validation {
    condition     = var.noncurrent_version_expiry_days >= 1
    error_message = "noncurrent_version_expiry_days must be at least 1."
  }
}

variable "job_ttl_days" {
  description = "Days a job record lives in DynamoDB before its TTL removes it (CUSTOMOCR_JOB_TTL_DAYS)."
  type        = number
  default     = 14

  validation {
    condition     = var.job_ttl_days >= 1
    error_message = "job_ttl_days must be at least 1."
  }
}

# --- queue ---------------------------------------------------------------------------------------

variable "visibility_timeout_s" {
  description = "Visibility timeout of the jobs queue (CUSTOMOCR_VISIBILITY_TIMEOUT_S). Must exceed max_job_seconds; the worker also extends it by heartbeat while a job runs."
  type        = number
  default     = 300

  validation {
    condition     = var.visibility_timeout_s >= 30 && var.visibility_timeout_s <= 43200
    error_message = "visibility_timeout_s must be between 30 and 43200 (the SQS limit)."
  }
}

variable "max_job_seconds" {
  description = "Longest time one job may take on a worker. The queue's visibility timeout must be above it."
  type        = number
  default     = 120

  validation {
    condition     = var.max_job_seconds >= 1
    error_message = "max_job_seconds must be positive."
  }
}

variable "max_receive_count" {
  description = "Deliveries of one message before SQS moves it to the DLQ (redrive maxReceiveCount, CUSTOMOCR_MAX_RECEIVE_COUNT)."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be between 1 and 1000."
  }
}

variable "message_retention_s" {
  description = "Retention of messages in the jobs queue, seconds."
  type        = number
  default     = 345600

  validation {
    condition     = var.message_retention_s >= 60 && var.message_retention_s <= 1209600
    error_message = "message_retention_s must be between 60 and 1209600 (14 days)."
  }
}

# --- events and alarms ---------------------------------------------------------------------------

variable "event_subscriptions" {
  description = "Subscriptions to the job events topic. protocol is email, https or sqs; filter_policy is an optional SNS filter policy JSON on the message attributes status and template_id. An sqs endpoint's own queue policy must allow this topic to send."
  type = list(object({
    protocol      = string
    endpoint      = string
    filter_policy = optional(string)
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.event_subscriptions : contains(["email", "https", "sqs"], s.protocol)])
    error_message = "Each event subscription protocol must be one of email, https, sqs."
  }
}

variable "alarm_emails" {
  description = "Email addresses subscribed to the alarms topic (DLQ depth, oldest message age)."
  type        = list(string)
  default     = []
}

variable "oldest_message_alarm_s" {
  description = "Alarm when the oldest message in the jobs queue is older than this many seconds."
  type        = number
  default     = 900

  validation {
    condition     = var.oldest_message_alarm_s >= 60
    error_message = "oldest_message_alarm_s must be at least 60."
  }
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups (service logs and VPC flow logs)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts."
  }
}

# --- gateway -------------------------------------------------------------------------------------

variable "image_tag" {
  description = "Tag of both images in ECR (the repositories are immutable; infra/images.sh pushes the git commit as tag)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a valid Docker tag."
  }
}

variable "certificate_arn" {
  description = "ACM certificate for an HTTPS listener. Empty: the load balancer serves plain HTTP on port 80 (demo only)."
  type        = string
  default     = ""

  validation {
    condition     = var.certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be empty or an ACM certificate ARN."
  }
}

variable "allowed_ingress_cidrs" {
  description = "Client CIDRs allowed to reach the load balancer."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = alltrue([for c in var.allowed_ingress_cidrs : can(cidrnetmask(c))])
    error_message = "allowed_ingress_cidrs must be IPv4 CIDRs."
  }
}

variable "api_keys" {
  description = "API keys accepted in the x-api-key header, stored in Secrets Manager. Empty: one random key is generated (read it with `aws secretsmanager get-secret-value`)."
  type        = list(string)
  default     = []
  sensitive   = true
}

variable "sync_wait_s" {
  description = "How long a query waits for its result before answering 202 (CUSTOMOCR_SYNC_WAIT_S). Kept below the load balancer idle timeout."
  type        = number
  default     = 25

  validation {
    condition     = var.sync_wait_s >= 0 && var.sync_wait_s <= 50
    error_message = "sync_wait_s must be between 0 and 50 (the load balancer idle timeout is 60 s)."
  }
}

variable "gateway_cpu" {
  description = "Fargate CPU units of one gateway task."
  type        = number
  default     = 512
}

variable "gateway_memory" {
  description = "Fargate memory (MiB) of one gateway task."
  type        = number
  default     = 1024
}

variable "gateway_desired_count" {
  description = "Number of gateway tasks (spread over two availability zones)."
  type        = number
  default     = 2

  validation {
    condition     = var.gateway_desired_count >= 1
    error_message = "gateway_desired_count must be at least 1."
  }
}

variable "gateway_extra_read_bucket_arns" {
  description = "Other buckets the gateway may read for queries given as s3:// URLs (bucket ARNs). Empty: only this stack's bucket."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.gateway_extra_read_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]+$", a))])
    error_message = "gateway_extra_read_bucket_arns must be S3 bucket ARNs."
  }
}

# --- worker --------------------------------------------------------------------------------------

variable "worker_instance_type" {
  description = "EC2 GPU instance type of the worker capacity provider (one NVIDIA GPU per task)."
  type        = string
  default     = "g4dn.xlarge"

  validation {
    condition     = can(regex("^(g4dn|g5|g6|g6e|gr6)\\.[a-z0-9]+$", var.worker_instance_type))
    error_message = "worker_instance_type must be an NVIDIA GPU instance type (g4dn, g5, g6, g6e, gr6)."
  }
}

variable "worker_spot" {
  description = "Run the GPU instances as Spot instances (cheaper; a reclaimed instance's in-flight jobs return to the queue after the visibility timeout)."
  type        = bool
  default     = false
}

variable "worker_max_instances" {
  description = "Upper bound of the GPU Auto Scaling group."
  type        = number
  default     = 4

  validation {
    condition     = var.worker_max_instances >= 1
    error_message = "worker_max_instances must be at least 1."
  }
}

variable "worker_min_tasks" {
  description = "Lower bound of worker tasks. 0 lets the service (and, through managed scaling, the GPU instances) scale to zero when the queue is empty."
  type        = number
  default     = 0

  validation {
    condition     = var.worker_min_tasks >= 0
    error_message = "worker_min_tasks must not be negative."
  }
}

variable "worker_max_tasks" {
  description = "Upper bound of worker tasks."
  type        = number
  default     = 4

  validation {
    condition     = var.worker_max_tasks >= 1
    error_message = "worker_max_tasks must be at least 1."
  }
}

variable "worker_target_backlog_per_task" {
  description = "Target of visible messages per running worker task; autoscaling adds tasks above it. Set it to (acceptable queue wait s) x (images/s of one task)."
  type        = number
  default     = 50

  validation {
    condition     = var.worker_target_backlog_per_task > 0
    error_message = "worker_target_backlog_per_task must be positive."
  }
}

variable "worker_cpu" {
  description = "CPU units reserved by one worker task (g4dn.xlarge has 4096)."
  type        = number
  default     = 3072
}

variable "worker_memory" {
  description = "Memory (MiB) reserved by one worker task (g4dn.xlarge has 16 GiB, of which ECS can place about 15 GiB)."
  type        = number
  default     = 12288
}

variable "worker_root_volume_gb" {
  description = "Root EBS volume of a GPU instance; it holds the worker image (CUDA, Paddle, models)."
  type        = number
  default     = 80

  validation {
    condition     = var.worker_root_volume_gb >= 30
    error_message = "worker_root_volume_gb must be at least 30 (the ECS GPU AMI needs 30 GiB)."
  }
}

variable "worker_ocr_processes" {
  description = "OCR processes per worker task sharing its GPU (CUSTOMOCR_OCR_PROCESSES)."
  type        = number
  default     = 2

  validation {
    condition     = var.worker_ocr_processes >= 1
    error_message = "worker_ocr_processes must be at least 1."
  }
}

variable "worker_ocr_batch_size" {
  description = "Queries an OCR process reads in one engine pass when several wait (CUSTOMOCR_OCR_BATCH_SIZE); not yet measured on a GPU."
  type        = number
  default     = 16

  validation {
    condition     = var.worker_ocr_batch_size >= 1
    error_message = "worker_ocr_batch_size must be at least 1."
  }
}

variable "worker_max_in_flight" {
  description = "Jobs one worker task holds at once (CUSTOMOCR_MAX_IN_FLIGHT); enough to fill the OCR processes' batches."
  type        = number
  default     = 32

  validation {
    condition     = var.worker_max_in_flight >= 1
    error_message = "worker_max_in_flight must be at least 1."
  }
}

variable "model_profile" {
  description = "OCR model profile of the GPU worker (CUSTOMOCR_MODEL_PROFILE); the worker image bakes both."
  type        = string
  default     = "ppocrv5-mobile"

  validation {
    condition     = contains(["ppocrv5-mobile", "ppocrv5-server"], var.model_profile)
    error_message = "model_profile must be ppocrv5-mobile or ppocrv5-server on GPU."
  }
}

variable "ecr_keep_images" {
  description = "Images kept per ECR repository; older ones are expired by a lifecycle policy."
  type        = number
  default     = 20

  validation {
    condition     = var.ecr_keep_images >= 1
    error_message = "ecr_keep_images must be at least 1."
  }
}
