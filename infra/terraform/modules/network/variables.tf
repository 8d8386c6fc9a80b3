variable "name" {
  description = "Name prefix for every network resource, e.g. fastfood-dev."
  type        = string
}

variable "cidr_block" {
  description = "CIDR of the VPC."
  type        = string
}

variable "availability_zones" {
  description = "Availability zone names to spread the subnets over (2 or more). Explicit, so subnets never move when AWS adds a zone."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2
    error_message = "Use at least two availability zones (the ALB and the RDS subnet group need them)."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway shared by every private subnet (cheap, dev) instead of one per AZ (resilient, prod)."
  type        = bool
}

variable "service_port" {
  description = "Port the service containers listen on."
  type        = number
}

variable "alb_listener_port" {
  description = "Port of the internal ALB listener."
  type        = number
}

variable "database_port" {
  description = "Port of the PostgreSQL instance."
  type        = number
}

variable "flow_log_retention_days" {
  description = "Retention of the VPC flow log group."
  type        = number
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the flow log group."
  type        = string
}
