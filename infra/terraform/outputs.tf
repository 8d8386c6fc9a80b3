output "api_url" {
  description = "Public base URL of the HTTP API (no trailing slash)."
  value       = module.api_gateway.api_endpoint
}

output "jwt_issuer" {
  description = "iss the JWT authorizer requires: auth's public OIDC URL through the API."
  value       = module.api_gateway.jwt_issuer
}

output "alb_dns_name" {
  description = "Internal ALB hostname (reachable from inside the VPC only)."
  value       = module.alb.dns_name
}

output "queue_names" {
  value = module.queues.queue_names
}

output "queue_urls" {
  description = "Main queue URL by consuming service."
  value       = module.queues.queue_urls
}

output "dlq_urls" {
  description = "Dead-letter queue URL by consuming service."
  value       = module.queues.dlq_urls
}

output "table_names" {
  description = "DynamoDB table name by logical name (identical unless resource_name_prefix is set)."
  value       = module.dynamodb.table_names
}

output "ecr_repository_urls" {
  description = "ECR repository URL by service: push <url>:<tag>, then apply with image_tag=<tag>."
  value       = { for svc, s in module.service : svc => s.ecr_repository_url }
}

output "ecs_cluster_name" {
  value = module.ecs_cluster.name
}

output "ecs_service_names" {
  description = "ECS services by service and role (api, worker)."
  value       = { for svc, s in module.service : svc => s.service_names }
}

output "secret_names" {
  value = local.secret_names
}

output "project_secret_arn" {
  value = module.secrets.project_secret_arn
}

output "mercadopago_secret_arn" {
  value = module.secrets.mercadopago_secret_arn
}

output "jwt_kms_key_id" {
  value = module.jwt_key.key_id
}

output "jwt_kms_key_arn" {
  value = module.jwt_key.key_arn
}

output "jwt_public_key_pem" {
  value = module.jwt_key.public_key_pem
}

output "rds_address" {
  value = module.rds.address
}

output "rds_master_user_secret_arn" {
  description = "RDS-managed secret with the master username and password."
  value       = module.rds.master_user_secret_arn
}

output "alarm_topic_arn" {
  value = module.alarms.topic_arn
}

output "vpc_id" {
  value = module.network.vpc_id
}

output "ecs_task_definition_arns" {
  description = "Task definition ARN by service and role; run `<svc>.main migrate` from the api one."
  value       = { for svc, s in module.service : svc => s.task_definition_arns }
}

output "ecs_run_task_network" {
  description = "awsvpcConfiguration for one-off tasks (migrations, create-staff, DLQ redrive)."
  value = {
    subnets        = module.network.private_subnet_ids
    securityGroups = [module.network.security_group_ids.ecs_tasks]
    assignPublicIp = "DISABLED"
  }
}

output "database_user_secret_arns" {
  description = "Each Postgres-backed service's own database login secret (docs/deploy.md)."
  value       = module.secrets.database_user_secret_arns
}
