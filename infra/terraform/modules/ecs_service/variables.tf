variable "name" {
  description = "Service name (auth, catalog, order, payment, production); also its Python package and ALB path prefix."
  type        = string
}

variable "name_prefix" {
  description = "Deployment prefix, e.g. fastfood-dev."
  type        = string
}

variable "ecr_repository_name" {
  description = "ECR repository of the service image, e.g. fastfood/order."
  type        = string
}

variable "ecr_force_delete" {
  description = "Let terraform destroy delete a repository that still holds images (dev)."
  type        = bool
}

variable "image_tag" {
  description = "Image tag to run (tags are immutable: deploy a new tag to roll the service)."
  type        = string
}

variable "cluster_arn" {
  type = string
}

variable "cluster_name" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "subnet_ids" {
  type = list(string)
}

variable "security_group_ids" {
  type = list(string)
}

variable "listener_arn" {
  type = string
}

variable "listener_rule_priority" {
  description = "Unique priority of this service's path rule on the ALB listener."
  type        = number
}

variable "container_port" {
  type = number
}

variable "cpu" {
  description = "Task CPU units (256 = 0.25 vCPU)."
  type        = number
}

variable "memory" {
  description = "Task memory in MiB."
  type        = number
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64 (must match the image)."
  type        = string
}

variable "api_scaling" {
  description = "Task count bounds of the API service."
  type        = object({ min = number, max = number })
}

variable "worker_scaling" {
  description = "Task count bounds of the worker service; null = this service has no worker."
  type        = object({ min = number, max = number })
  default     = null
}

variable "cpu_target_percent" {
  description = "Average CPU the autoscaling keeps each ECS service at."
  type        = number
}

variable "environment" {
  description = "Plain environment variables of both containers."
  type        = map(string)
}

variable "secrets" {
  description = "Environment variables injected from Secrets Manager: name => valueFrom (\"<arn>:<json key>::\")."
  type        = map(string)
  default     = {}
}

variable "log_retention_days" {
  type = number
}

variable "kms_key_arn" {
  description = "Customer-managed key of the log group, the ECR repository, the secrets and the tables."
  type        = string
}

variable "permissions" {
  description = "What the task role may touch; everything else is denied."
  type = object({
    sqs_consume_arns    = optional(list(string), [])
    sqs_send_arns       = optional(list(string), [])
    sqs_read_arns       = optional(list(string), [])
    dynamodb_table_arns = optional(list(string), [])
    secret_arns         = optional(list(string), [])
    kms_sign_key_arns   = optional(list(string), [])
  })
  default = {}
}

variable "execution_secret_arns" {
  description = "Secrets the ECS agent reads to inject var.secrets."
  type        = list(string)
  default     = []
}
