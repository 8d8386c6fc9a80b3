# The five services: one ecs_service module each, with what differs between them (database,
# worker, environment, permissions) written out per service.

locals {
  services_list = ["auth", "catalog", "order", "payment", "production"]

  # The public API's route table, shared with the local gateway (infra/local/routes.py):
  # public routes (no authorizer), stream routes whose token is in ?access_token= (EventSource
  # sends no headers), and routes refused to every public caller (/metrics: the VPC only).
  # Everything else is ANY /{proxy+} behind the JWT authorizer.
  route_table = jsondecode(file("${path.module}/routes.json"))
  public_routes = concat(local.route_table.public, flatten([
    for key in local.route_table.public_per_service : [for svc in local.services_list : replace(key, "{service}", svc)]
  ]))
  query_token_routes = local.route_table.query_token
  denied_routes = flatten([
    for key in local.route_table.denied_per_service : [for svc in local.services_list : replace(key, "{service}", svc)]
  ])

  alb_url = "http://${module.alb.dns_name}"
  api_url = module.api_gateway.api_endpoint

  common_environment = {
    ENVIRONMENT           = "prod" # the services' runtime mode (strict settings), in every deployment
    AWS_REGION            = var.aws_region
    LOG_LEVEL             = "INFO"
    JWT_ISSUER            = module.api_gateway.jwt_issuer
    JWT_AUDIENCE          = var.jwt_audience
    JWKS_URL              = "${local.alb_url}/auth/.well-known/jwks.json"
    PAYMENT_QUEUE_NAME    = module.queues.queue_names["payment"]
    ORDER_QUEUE_NAME      = module.queues.queue_names["order"]
    PRODUCTION_QUEUE_NAME = module.queues.queue_names["production"]
  }

  # Each of these logs in as its own role, read from its own secret at connect time
  # (<SVC>_DB_SECRET_NAME). DB_USER / DB_PASSWORD are the RDS master's: only the service's
  # `migrate` task uses them, to create that role and hand it its database (docs/deploy.md).
  database_services = ["auth", "catalog", "order"]
  database_environment = {
    for svc in local.database_services : svc => {
      DB_HOST                        = module.rds.address
      DB_PORT                        = tostring(module.rds.port)
      DB_USER                        = module.rds.master_username
      DB_NAME                        = svc
      "${upper(svc)}_DB_SECRET_NAME" = module.secrets.database_user_secret_names[svc]
    }
  }
  database_secrets     = { DB_PASSWORD = "${module.rds.master_user_secret_arn}:password::" }
  database_user_secret = { for svc in local.database_services : svc => [module.secrets.database_user_secret_arns[svc]] }

  tables = module.dynamodb.table_names
  table_arns_of = {
    for svc in local.services_list : svc => [
      for name, arn in module.dynamodb.table_arns : arn if split("-", name)[0] == svc
    ]
  }

  services = {
    auth = {
      priority = 10
      worker   = false
      environment = merge(local.database_environment["auth"], {
        AUTH_SIGNER     = "kms"
        AUTH_KMS_KEY_ID = module.jwt_key.key_arn
        # Client address for the login throttle: API Gateway writes it into X-Forwarded-For
        # and the ALB appends the VPC link's address, so it is the 2nd entry from the right.
        TRUSTED_PROXY_HOPS = "2"
      })
      secrets = merge(local.database_secrets, {
        AUTH_STAFF_PASSWORD = "${module.secrets.auth_accounts_secret_arn}:staff_password::"
        AUTH_ADMIN_PASSWORD = "${module.secrets.auth_accounts_secret_arn}:admin_password::"
      })
      execution_secret_arns = [module.rds.master_user_secret_arn, module.secrets.auth_accounts_secret_arn]
      permissions           = { kms_sign_key_arns = [module.jwt_key.key_arn], secret_arns = local.database_user_secret["auth"] }
    }
    catalog = {
      priority              = 20
      worker                = false
      environment           = local.database_environment["catalog"]
      secrets               = local.database_secrets
      execution_secret_arns = [module.rds.master_user_secret_arn]
      permissions           = { secret_arns = local.database_user_secret["catalog"] }
    }
    order = {
      priority              = 30
      worker                = true
      environment           = merge(local.database_environment["order"], { ORDER_CATALOG_URL = "${local.alb_url}/catalog" })
      secrets               = local.database_secrets
      execution_secret_arns = [module.rds.master_user_secret_arn]
      permissions = {
        sqs_consume_arns = [module.queues.queue_arns["order"]]
        sqs_send_arns    = [module.queues.queue_arns["payment"], module.queues.queue_arns["production"]]
        sqs_read_arns    = [module.queues.dlq_arns["order"]]
        secret_arns      = local.database_user_secret["order"]
      }
    }
    payment = {
      priority = 40
      worker   = true
      environment = {
        PAYMENT_PAYMENTS_TABLE          = local.tables["payment-payments"]
        PAYMENT_OUTBOX_TABLE            = local.tables["payment-outbox"]
        PAYMENT_INBOX_TABLE             = local.tables["payment-inbox"]
        PAYMENT_MERCADOPAGO_SECRET_NAME = module.secrets.mercadopago_secret_name
        PAYMENT_NOTIFICATION_URL        = "${local.api_url}/payment/webhook"
      }
      secrets               = {}
      execution_secret_arns = []
      permissions = {
        sqs_consume_arns    = [module.queues.queue_arns["payment"]]
        sqs_send_arns       = [module.queues.queue_arns["order"]]
        sqs_read_arns       = [module.queues.dlq_arns["payment"]]
        dynamodb_table_arns = local.table_arns_of["payment"]
        secret_arns         = [module.secrets.mercadopago_secret_arn]
      }
    }
    production = {
      priority = 50
      worker   = true
      environment = {
        PRODUCTION_TICKETS_TABLE = local.tables["production-tickets"]
        PRODUCTION_OUTBOX_TABLE  = local.tables["production-outbox"]
        PRODUCTION_INBOX_TABLE   = local.tables["production-inbox"]
      }
      secrets               = {}
      execution_secret_arns = []
      permissions = {
        sqs_consume_arns    = [module.queues.queue_arns["production"]]
        sqs_send_arns       = [module.queues.queue_arns["order"]]
        sqs_read_arns       = [module.queues.dlq_arns["production"]]
        dynamodb_table_arns = local.table_arns_of["production"]
      }
    }
  }
}

module "service" {
  source   = "./modules/ecs_service"
  for_each = local.services

  name                   = each.key
  name_prefix            = local.name
  ecr_repository_name    = "${var.project}/${each.key}"
  ecr_force_delete       = var.ecr_force_delete
  image_tag              = var.image_tag
  cpu_architecture       = var.cpu_architecture
  cluster_arn            = module.ecs_cluster.arn
  cluster_name           = module.ecs_cluster.name
  vpc_id                 = module.network.vpc_id
  subnet_ids             = module.network.private_subnet_ids
  security_group_ids     = [module.network.security_group_ids.ecs_tasks]
  listener_arn           = module.alb.listener_arn
  listener_rule_priority = each.value.priority
  container_port         = local.service_port
  cpu                    = var.task_cpu
  memory                 = var.task_memory
  api_scaling            = var.api_task_count
  worker_scaling         = each.value.worker ? var.worker_task_count : null
  cpu_target_percent     = var.cpu_target_percent
  environment            = merge(local.common_environment, each.value.environment)
  secrets                = each.value.secrets
  execution_secret_arns  = each.value.execution_secret_arns
  permissions            = each.value.permissions
  log_retention_days     = var.log_retention_days
  kms_key_arn            = module.data_key.key_arn
}
