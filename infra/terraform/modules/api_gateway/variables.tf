variable "name" {
  type = string
}

variable "subnet_ids" {
  description = "Private subnets for the VPC link ENIs."
  type        = list(string)
}

variable "vpc_link_security_group_id" {
  type = string
}

variable "alb_listener_arn" {
  description = "Internal ALB listener every route is proxied to."
  type        = string
}

variable "jwt_audience" {
  description = "Audience the JWT authorizer requires (the aud claim auth puts in its tokens)."
  type        = string
}

variable "jwt_issuer_path" {
  description = "Path of the auth service under the API; the issuer is <api endpoint><path>."
  type        = string
  default     = "/auth"
}

variable "public_routes" {
  description = "Route keys served without the JWT authorizer (login, discovery, catalog reads, webhook, health)."
  type        = list(string)
}

variable "query_token_routes" {
  description = "Route keys whose JWT comes in the query string (SSE streams: EventSource sends no headers)."
  type        = list(string)
}

variable "query_token_parameter" {
  description = "Query parameter carrying the JWT on query_token_routes."
  type        = string
}

variable "denied_routes" {
  description = "Route keys no public caller may reach (IAM authorization: /metrics is scraped inside the VPC)."
  type        = list(string)
}

variable "integration_timeout_ms" {
  description = "HTTP API integration timeout (at most 30000); the local gateway cuts at the same."
  type        = number
}

variable "cors_allow_origins" {
  type = list(string)
}

variable "throttling_burst_limit" {
  type = number
}

variable "throttling_rate_limit" {
  type = number
}

variable "log_retention_days" {
  type = number
}

variable "kms_key_arn" {
  description = "Encrypts the access log group."
  type        = string
}
