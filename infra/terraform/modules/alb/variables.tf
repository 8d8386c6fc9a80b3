variable "name" {
  description = "Load balancer name (32 characters at most)."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (the ALB is internal)."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group: ingress from the VPC link and the ECS tasks, egress to the VPC only."
  type        = string
}

variable "listener_port" {
  type = number
}

variable "deletion_protection" {
  type = bool
}

variable "idle_timeout_seconds" {
  type    = number
  default = 60
}
