variable "mercadopago_secret_name" {
  description = "Name of the secret holding {\"access_token\", \"webhook_secret\"} for Mercado Pago."
  type        = string
}

variable "auth_accounts_secret_name" {
  description = "Name of the secret holding the passwords of the staff and admin accounts auth seeds at start-up."
  type        = string
}

variable "project_secret_name" {
  description = "Name of the secret describing the deployment (ids of the VPC, API, ALB, cluster, database, JWT key)."
  type        = string
}

variable "project_values" {
  description = "Content of the project secret; stored as JSON."
  type        = any
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key that encrypts the secrets."
  type        = string
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret can be restored (0 deletes at once, so the name is free again)."
  type        = number
}

variable "database_users" {
  description = "Database role name by Postgres-backed service (its database has the service's name)."
  type        = map(string)
}

variable "database_user_secret_prefix" {
  description = "Prefix of each service's database login secret name (the service name follows)."
  type        = string
}
