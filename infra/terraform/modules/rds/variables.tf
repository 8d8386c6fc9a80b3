variable "name" {
  description = "Name prefix, e.g. fastfood-dev."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the DB subnet group (two AZs or more)."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group allowing 5432 from the ECS tasks only."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for storage, the master password secret and Performance Insights."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL major (\"16\") or major.minor version."
  type        = string
}

variable "instance_class" {
  type = string
}

variable "allocated_storage_gb" {
  type = number
}

variable "max_allocated_storage_gb" {
  description = "Upper bound for storage autoscaling."
  type        = number
}

variable "database_name" {
  description = "Database created with the instance; the services' own databases (auth, catalog, order) are created by their migration step."
  type        = string
}

variable "master_username" {
  type = string
}

variable "port" {
  type = number
}

variable "multi_az" {
  type = bool
}

variable "backup_retention_days" {
  type = number
}

variable "deletion_protection" {
  type = bool
}

variable "skip_final_snapshot" {
  description = "Destroy without a final snapshot (dev only)."
  type        = bool
}

variable "performance_insights_enabled" {
  type = bool
}

variable "monitoring_interval_seconds" {
  description = "Enhanced monitoring interval (0 disables it)."
  type        = number
}
