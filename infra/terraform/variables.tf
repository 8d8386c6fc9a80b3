# --- Deployment -----------------------------------------------------------------
variable "project" {
  description = "Project name; prefixes every resource (with the environment) and the ECR repositories."
  type        = string
  default     = "fastfood"
}

variable "environment" {
  description = "Deployment name, e.g. dev or prod."
  type        = string
}

variable "aws_region" {
  description = "Region of the whole deployment."
  type        = string
  default     = "us-east-1"
}

variable "tags" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}

variable "resource_name_prefix" {
  description = "Prepended to queue, table and secret names. Empty (the default) keeps the names of common/resources.json; set it only to share one account between environments."
  type        = string
  default     = ""
}

variable "kms_deletion_window_days" {
  description = "Waiting period before destroyed KMS keys are deleted."
  type        = number
  default     = 30
}

# --- Network --------------------------------------------------------------------
variable "vpc_cidr" {
  type    = string
  default = "10.0.0.0/16"
}

variable "availability_zones" {
  description = "Availability zones of the subnets (2 or more, in aws_region)."
  type        = list(string)
  default     = ["us-east-1a", "us-east-1b"]
}

variable "single_nat_gateway" {
  description = "true: one NAT gateway for all private subnets (dev). false: one per AZ, no cross-AZ dependency (prod)."
  type        = bool
  default     = false
}

# --- API Gateway ----------------------------------------------------------------
variable "cors_allow_origins" {
  description = "Origins allowed to call the API from a browser (the totem front end)."
  type        = list(string)
  default     = []
}

variable "api_throttling_burst_limit" {
  type    = number
  default = 200
}

variable "api_throttling_rate_limit" {
  description = "Steady-state requests per second across the API."
  type        = number
  default     = 100
}

variable "jwt_audience" {
  description = "aud claim auth issues and the API Gateway authorizer requires."
  type        = string
  default     = "fastfood-api"
}

# --- Load balancer and services -------------------------------------------------
variable "alb_deletion_protection" {
  type    = bool
  default = true
}

variable "image_tag" {
  description = "Image tag every service runs (CI passes the git SHA it pushed to ECR)."
  type        = string
}

variable "ecr_force_delete" {
  description = "Allow destroying ECR repositories that still hold images."
  type        = bool
  default     = false
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64; must match how the images are built."
  type        = string
  default     = "X86_64"
}

variable "task_cpu" {
  description = "CPU units of every task (256 = 0.25 vCPU)."
  type        = number
  default     = 256
}

variable "task_memory" {
  description = "Memory of every task in MiB."
  type        = number
  default     = 512
}

variable "api_task_count" {
  description = "Autoscaling bounds of each API service."
  type        = object({ min = number, max = number })
  default     = { min = 2, max = 6 }
}

variable "worker_task_count" {
  description = "Autoscaling bounds of each worker service (order, payment, production)."
  type        = object({ min = number, max = number })
  default     = { min = 2, max = 4 }
}

variable "cpu_target_percent" {
  description = "Average CPU utilisation the autoscaling keeps."
  type        = number
  default     = 60
}

variable "log_retention_days" {
  description = "Retention of the service, API access and VPC flow log groups."
  type        = number
  default     = 365
}

# --- Messaging and data (names must match common/resources.json) ---------------
variable "queue_names" {
  description = "Queue consumed by each service."
  type        = map(string)
  default = {
    payment    = "payment-service-queue"
    order      = "order-service-queue"
    production = "production-service-queue"
  }
}

variable "dlq_suffix" {
  type    = string
  default = "-dlq"
}

variable "max_receive_count" {
  type    = number
  default = 5
}

variable "visibility_timeout_seconds" {
  type    = number
  default = 30
}

variable "message_retention_seconds" {
  type    = number
  default = 345600 # 4 days
}

variable "dlq_message_retention_seconds" {
  type    = number
  default = 1209600 # 14 days, the SQS maximum
}

variable "dynamodb_tables" {
  description = "DynamoDB tables by name; the owning service is the part before the first dash."
  type = map(object({
    hash_key = string
    gsi      = optional(map(string), {})
    ttl      = optional(string)
  }))
  default = {
    "payment-payments"   = { hash_key = "payment_id", gsi = { "order_id-index" = "order_id", "reconcile-index" = "reconcile_due" } }
    "payment-outbox"     = { hash_key = "event_id" }
    "payment-inbox"      = { hash_key = "event_id", ttl = "expires_at" }
    "production-tickets" = { hash_key = "production_id", gsi = { "order_id-index" = "order_id", "status-index" = "status" } }
    "production-outbox"  = { hash_key = "event_id" }
    "production-inbox"   = { hash_key = "event_id", ttl = "expires_at" }
  }
}

variable "dynamodb_deletion_protection" {
  type    = bool
  default = true
}

variable "secret_names" {
  description = "Secrets Manager names: mercadopago (credentials, payment only), project (deployment ids), auth_accounts (seeded staff/admin passwords, auth only)."
  type        = object({ mercadopago = string, project = string, auth_accounts = string })
  default = {
    mercadopago   = "fastfood/mercadopago"
    project       = "fastfood/project"
    auth_accounts = "fastfood/auth-accounts"
  }
}

variable "secret_recovery_window_days" {
  description = "Days a deleted secret stays restorable (0 = delete at once)."
  type        = number
  default     = 30
}

# --- Database -------------------------------------------------------------------
variable "db_engine_version" {
  type    = string
  default = "16"
}

variable "db_instance_class" {
  type    = string
  default = "db.t4g.small"
}

variable "db_allocated_storage_gb" {
  type    = number
  default = 20
}

variable "db_max_allocated_storage_gb" {
  type    = number
  default = 100
}

variable "db_master_username" {
  type    = string
  default = "fastfood"
}

variable "db_initial_database" {
  description = "Database created with the instance; auth, catalog and order create their own (see README)."
  type        = string
  default     = "fastfood"
}

variable "db_multi_az" {
  type    = bool
  default = true
}

variable "db_backup_retention_days" {
  type    = number
  default = 7
}

variable "db_deletion_protection" {
  type    = bool
  default = true
}

variable "db_skip_final_snapshot" {
  type    = bool
  default = false
}

variable "db_performance_insights_enabled" {
  type    = bool
  default = true
}

variable "db_monitoring_interval_seconds" {
  description = "Enhanced monitoring interval; 0 disables it."
  type        = number
  default     = 60
}

# --- Alarms ---------------------------------------------------------------------
variable "alarm_email" {
  description = "E-mail subscribed to the alarm topic (confirm the subscription once); empty for none, refused in prod."
  type        = string
  default     = ""

  validation {
    # An alarm nobody receives is no alarm: prod must name who is woken up.
    condition     = var.environment != "prod" || can(regex("^[^@\\s]+@[^@\\s]+$", var.alarm_email))
    error_message = "prod needs alarm_email (the on-call address): set TF_VAR_alarm_email or -var alarm_email=..."
  }
}

variable "alarm_thresholds" {
  type = object({
    alb_5xx_per_5_minutes   = number
    latency_p95_seconds     = number
    ecs_utilization_percent = number
    queue_age_seconds       = number
    dlq_age_seconds         = number
  })
  default = {
    alb_5xx_per_5_minutes   = 10
    latency_p95_seconds     = 1
    ecs_utilization_percent = 85
    queue_age_seconds       = 300
    dlq_age_seconds         = 864000 # 10 of the 14 days a DLQ keeps a message
  }
}
