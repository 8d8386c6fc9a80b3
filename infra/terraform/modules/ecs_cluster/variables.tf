variable "name" {
  type = string
}

variable "fargate_spot_weight" {
  description = "Share of tasks placed on Fargate Spot (0 = all on-demand). Cheap for dev; keep 0 in prod."
  type        = number
  default     = 0
}
