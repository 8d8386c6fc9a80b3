variable "project" {
  description = "Prefix of the bucket (<project>-tfstate-<account id>) and of the lock table."
  type        = string
  default     = "fastfood"
}

variable "aws_region" {
  description = "Region of the state bucket and lock table (the backend files name it too)."
  type        = string
  default     = "us-east-1"
}
