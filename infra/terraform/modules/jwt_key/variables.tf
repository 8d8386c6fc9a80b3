variable "name" {
  description = "Name prefix, e.g. fastfood-dev; the alias becomes alias/<name>-jwt."
  type        = string
}

variable "deletion_window_in_days" {
  description = "Waiting period before a destroyed key is deleted (7-30). Tokens signed by it stop verifying once it is gone."
  type        = number
}
