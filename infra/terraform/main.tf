# Root module: the whole AWS footprint of the platform. Each block is one small module; the
# five services are instantiated from one ecs_service module in services.tf.

locals {
  name = "${var.project}-${var.environment}"

  service_port      = 8000
  alb_listener_port = 80
  database_port     = 5432

  queue_names = { for svc, q in var.queue_names : svc => "${var.resource_name_prefix}${q}" }
  secret_names = {
    mercadopago   = "${var.resource_name_prefix}${var.secret_names.mercadopago}"
    project       = "${var.resource_name_prefix}${var.secret_names.project}"
    auth_accounts = "${var.resource_name_prefix}${var.secret_names.auth_accounts}"
  }
}

module "data_key" {
  source = "./modules/data_key"

  name                    = local.name
  deletion_window_in_days = var.kms_deletion_window_days
}

module "network" {
  source = "./modules/network"

  name                    = local.name
  cidr_block              = var.vpc_cidr
  availability_zones      = var.availability_zones
  single_nat_gateway      = var.single_nat_gateway
  service_port            = local.service_port
  alb_listener_port       = local.alb_listener_port
  database_port           = local.database_port
  flow_log_retention_days = var.log_retention_days
  kms_key_arn             = module.data_key.key_arn
}

module "alb" {
  source = "./modules/alb"

  name                = local.name
  subnet_ids          = module.network.private_subnet_ids
  security_group_id   = module.network.security_group_ids.alb
  listener_port       = local.alb_listener_port
  deletion_protection = var.alb_deletion_protection
}

module "api_gateway" {
  source = "./modules/api_gateway"

  name                       = local.name
  subnet_ids                 = module.network.private_subnet_ids
  vpc_link_security_group_id = module.network.security_group_ids.vpc_link
  alb_listener_arn           = module.alb.listener_arn
  jwt_audience               = var.jwt_audience
  public_routes              = local.public_routes
  query_token_routes         = local.query_token_routes
  query_token_parameter      = local.route_table.query_token_parameter
  denied_routes              = local.denied_routes
  integration_timeout_ms     = local.route_table.integration_timeout_milliseconds
  cors_allow_origins         = var.cors_allow_origins
  throttling_burst_limit     = var.api_throttling_burst_limit
  throttling_rate_limit      = var.api_throttling_rate_limit
  log_retention_days         = var.log_retention_days
  kms_key_arn                = module.data_key.key_arn
}

module "ecs_cluster" {
  source = "./modules/ecs_cluster"

  name = local.name
}

module "queues" {
  source = "./modules/queues"

  queue_names                   = local.queue_names
  dlq_suffix                    = var.dlq_suffix
  max_receive_count             = var.max_receive_count
  visibility_timeout_seconds    = var.visibility_timeout_seconds
  message_retention_seconds     = var.message_retention_seconds
  dlq_message_retention_seconds = var.dlq_message_retention_seconds
}

module "dynamodb" {
  source = "./modules/dynamodb"

  tables              = var.dynamodb_tables
  name_prefix         = var.resource_name_prefix
  kms_key_arn         = module.data_key.key_arn
  deletion_protection = var.dynamodb_deletion_protection
}

module "rds" {
  source = "./modules/rds"

  name                         = local.name
  subnet_ids                   = module.network.private_subnet_ids
  security_group_id            = module.network.security_group_ids.database
  kms_key_arn                  = module.data_key.key_arn
  engine_version               = var.db_engine_version
  instance_class               = var.db_instance_class
  allocated_storage_gb         = var.db_allocated_storage_gb
  max_allocated_storage_gb     = var.db_max_allocated_storage_gb
  database_name                = var.db_initial_database
  master_username              = var.db_master_username
  port                         = local.database_port
  multi_az                     = var.db_multi_az
  backup_retention_days        = var.db_backup_retention_days
  deletion_protection          = var.db_deletion_protection
  skip_final_snapshot          = var.db_skip_final_snapshot
  performance_insights_enabled = var.db_performance_insights_enabled
  monitoring_interval_seconds  = var.db_monitoring_interval_seconds
}

module "jwt_key" {
  source = "./modules/jwt_key"

  name                    = local.name
  deletion_window_in_days = var.kms_deletion_window_days
}

module "secrets" {
  source = "./modules/secrets"

  mercadopago_secret_name     = local.secret_names.mercadopago
  project_secret_name         = local.secret_names.project
  auth_accounts_secret_name   = local.secret_names.auth_accounts
  database_users              = { for svc in local.database_services : svc => "${svc}_service" }
  database_user_secret_prefix = "${var.resource_name_prefix}${var.project}/db/"
  kms_key_arn                 = module.data_key.key_arn
  recovery_window_in_days     = var.secret_recovery_window_days
  project_values              = local.project_secret
}

module "alarms" {
  source = "./modules/alarms"

  name                              = local.name
  alarm_email                       = var.alarm_email
  kms_key_arn                       = module.data_key.key_arn
  alb_arn_suffix                    = module.alb.arn_suffix
  ecs_cluster_name                  = module.ecs_cluster.name
  ecs_service_names                 = flatten([for s in module.service : values(s.service_names)])
  target_group_arn_suffixes         = { for name, s in module.service : name => s.target_group_arn_suffix }
  queue_names                       = values(module.queues.queue_names)
  dlq_names                         = values(module.queues.dlq_names)
  alb_5xx_threshold                 = var.alarm_thresholds.alb_5xx_per_5_minutes
  latency_p95_threshold_seconds     = var.alarm_thresholds.latency_p95_seconds
  ecs_utilization_threshold_percent = var.alarm_thresholds.ecs_utilization_percent
  queue_age_threshold_seconds       = var.alarm_thresholds.queue_age_seconds
  dlq_age_threshold_seconds         = var.alarm_thresholds.dlq_age_seconds
}

# Everything an operator or a script needs to find this deployment, in one secret
# (identifiers only: the database password stays in the RDS-managed secret it points to).
locals {
  project_secret = {
    project     = var.project
    environment = var.environment
    region      = var.aws_region
    vpc = {
      id                 = module.network.vpc_id
      private_subnet_ids = module.network.private_subnet_ids
    }
    api = {
      id         = module.api_gateway.api_id
      url        = module.api_gateway.api_endpoint
      jwt_issuer = module.api_gateway.jwt_issuer
    }
    alb = {
      arn          = module.alb.arn
      dns_name     = module.alb.dns_name
      listener_arn = module.alb.listener_arn
    }
    ecs_cluster = {
      name = module.ecs_cluster.name
      arn  = module.ecs_cluster.arn
    }
    rds = {
      host                = module.rds.address
      port                = module.rds.port
      name                = module.rds.database_name
      username            = module.rds.master_username
      password_secret_arn = module.rds.master_user_secret_arn
    }
    jwt = {
      kms_key_id     = module.jwt_key.key_id
      kms_key_arn    = module.jwt_key.key_arn
      kms_alias      = module.jwt_key.alias_name
      public_key_pem = module.jwt_key.public_key_pem
    }
  }
}
