output "arn" {
  value = aws_lb.this.arn
}

output "arn_suffix" {
  description = "For CloudWatch metric dimensions."
  value       = aws_lb.this.arn_suffix
}

output "dns_name" {
  value = aws_lb.this.dns_name
}

output "listener_arn" {
  value = aws_lb_listener.http.arn
}
