variable "name" {
  description = "Name prefix, e.g. fastfood-dev; the alias becomes alias/<name>-data."
  type        = string
}

variable "deletion_window_in_days" {
  description = "Waiting period before a destroyed key is deleted (7-30)."
  type        = number
}
