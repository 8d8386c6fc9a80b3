variable "tables" {
  description = <<-EOT
    Tables by name. hash_key is a string attribute; gsi maps index name to its (string) hash
    key; ttl names the expiry attribute, or null.
  EOT
  type = map(object({
    hash_key = string
    gsi      = optional(map(string), {})
    ttl      = optional(string)
  }))
}

variable "name_prefix" {
  description = "Prepended to every table name (empty by default so names match common/resources.json)."
  type        = string
  default     = ""
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for server-side encryption."
  type        = string
}

variable "deletion_protection" {
  description = "Refuse DeleteTable (prod)."
  type        = bool
}
