variable "queue_names" {
  description = "Queue name per owning service, e.g. { payment = \"payment-service-queue\" }."
  type        = map(string)
}

variable "dlq_suffix" {
  description = "Appended to a queue name to name its dead-letter queue."
  type        = string
  default     = "-dlq"
}

variable "max_receive_count" {
  description = "Receives before a message moves to the DLQ."
  type        = number
}

variable "visibility_timeout_seconds" {
  description = "Visibility timeout of the main queues (the consumers' retry backoff base)."
  type        = number
}

variable "message_retention_seconds" {
  description = "Retention of the main queues."
  type        = number
}

variable "dlq_message_retention_seconds" {
  description = "Retention of the DLQs (keep it longer than the main queue's)."
  type        = number
}
