# prod: one NAT per AZ, two tasks of everything at least, Multi-AZ database, nothing
# destroyable by accident.
environment = "prod"
aws_region  = "us-east-1"

single_nat_gateway = false
availability_zones = ["us-east-1a", "us-east-1b"]
cors_allow_origins = ["https://totem.example.com"] # the totem front end's origin

task_cpu          = 256
task_memory       = 512
api_task_count    = { min = 2, max = 6 }
worker_task_count = { min = 2, max = 4 }

log_retention_days       = 365
kms_deletion_window_days = 30

alb_deletion_protection      = true
dynamodb_deletion_protection = true
ecr_force_delete             = false
secret_recovery_window_days  = 30

db_instance_class               = "db.t4g.small"
db_multi_az                     = true
db_backup_retention_days        = 14
db_deletion_protection          = true
db_skip_final_snapshot          = false
db_performance_insights_enabled = true
db_monitoring_interval_seconds  = 60

# alarm_email is required in prod (refused empty) and comes from outside this file:
# TF_VAR_alarm_email (the workflow's ALARM_EMAIL variable) or -var alarm_email=...
