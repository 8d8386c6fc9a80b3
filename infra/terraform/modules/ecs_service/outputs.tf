output "ecr_repository_url" {
  value = aws_ecr_repository.this.repository_url
}

output "ecr_repository_name" {
  value = aws_ecr_repository.this.name
}

output "service_names" {
  description = "ECS service name by role (api, worker)."
  value       = { for role, s in aws_ecs_service.this : role => s.name }
}

output "task_definition_arns" {
  value = { for role, t in aws_ecs_task_definition.this : role => t.arn }
}

output "target_group_arn" {
  value = aws_lb_target_group.api.arn
}

output "target_group_arn_suffix" {
  value = aws_lb_target_group.api.arn_suffix
}

output "log_group_name" {
  value = aws_cloudwatch_log_group.this.name
}

output "task_role_arn" {
  value = aws_iam_role.task.arn
}
