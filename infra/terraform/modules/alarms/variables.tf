variable "name" {
  type = string
}

variable "alarm_email" {
  description = "Address subscribed to the alarm topic (empty = no subscription)."
  type        = string
  default     = ""
}

variable "kms_key_arn" {
  description = "Encrypts the alarm SNS topic."
  type        = string
}

variable "alb_arn_suffix" {
  type = string
}

variable "ecs_cluster_name" {
  type = string
}

variable "ecs_service_names" {
  description = "ECS services watched for CPU, memory and running fewer tasks than desired."
  type        = list(string)
}

variable "target_group_arn_suffixes" {
  description = "ALB target group ARN suffix by service, watched for unhealthy hosts."
  type        = map(string)
}

variable "queue_names" {
  description = "Main queues watched for the age of their oldest message."
  type        = list(string)
}

variable "dlq_names" {
  description = "Dead-letter queues that must stay empty."
  type        = list(string)
}

variable "alb_5xx_threshold" {
  description = "5xx responses per 5 minutes that raise the alarm."
  type        = number
}

variable "latency_p95_threshold_seconds" {
  type = number
}

variable "ecs_utilization_threshold_percent" {
  description = "CPU or memory utilisation, averaged over 3 minutes, that raises the alarm."
  type        = number
}

variable "queue_age_threshold_seconds" {
  description = "Age of the oldest message in a main queue that means consumers are stuck."
  type        = number
}

variable "dlq_age_threshold_seconds" {
  description = "Age of the oldest message in a DLQ that means it will soon expire unhandled."
  type        = number
}
