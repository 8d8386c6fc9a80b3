# dev: the same topology as prod, at the smallest size, and easy to tear down.
environment = "dev"
aws_region  = "us-east-1"

availability_zones = ["us-east-1a", "us-east-1b"]
single_nat_gateway = true
cors_allow_origins = ["*"]

task_cpu          = 256
task_memory       = 512
api_task_count    = { min = 1, max = 2 }
worker_task_count = { min = 1, max = 2 }

log_retention_days       = 14
kms_deletion_window_days = 7

alb_deletion_protection      = false
dynamodb_deletion_protection = false
ecr_force_delete             = true
secret_recovery_window_days  = 0

db_instance_class               = "db.t4g.micro"
db_multi_az                     = false
db_backup_retention_days        = 1
db_deletion_protection          = false
db_skip_final_snapshot          = true
db_performance_insights_enabled = false
db_monitoring_interval_seconds  = 0
