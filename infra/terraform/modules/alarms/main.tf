# CloudWatch alarms, all published to one encrypted SNS topic. Missing traffic data never
# alarms (a quiet queue or an idle ALB is healthy); missing task or target counts do (zero
# running tasks publish nothing, and must not look healthy).

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == "" ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  actions = [aws_sns_topic.alarms.arn]
  alb_5xx = {
    elb    = "HTTPCode_ELB_5XX_Count"
    target = "HTTPCode_Target_5XX_Count"
  }
  ecs_metrics = {
    for pair in setproduct(var.ecs_service_names, ["CPUUtilization", "MemoryUtilization"]) :
    "${pair[0]}-${pair[1]}" => { service = pair[0], metric = pair[1] }
  }
}

resource "aws_cloudwatch_metric_alarm" "alb_5xx" {
  for_each = local.alb_5xx

  alarm_name          = "${var.name}-alb-${each.key}-5xx"
  alarm_description   = "ALB ${each.key} 5xx responses above ${var.alb_5xx_threshold} in 5 minutes"
  namespace           = "AWS/ApplicationELB"
  metric_name         = each.value
  dimensions          = { LoadBalancer = var.alb_arn_suffix }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alb_5xx_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "alb_latency_p95" {
  alarm_name          = "${var.name}-alb-latency-p95"
  alarm_description   = "p95 target response time above ${var.latency_p95_threshold_seconds}s for 3 minutes"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = { LoadBalancer = var.alb_arn_suffix }
  extended_statistic  = "p95"
  period              = 60
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.latency_p95_threshold_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "ecs_utilization" {
  for_each = local.ecs_metrics

  alarm_name          = "${var.name}-ecs-${each.key}"
  alarm_description   = "${each.value.service} ${each.value.metric} above ${var.ecs_utilization_threshold_percent}% for 3 minutes"
  namespace           = "AWS/ECS"
  metric_name         = each.value.metric
  dimensions          = { ClusterName = var.ecs_cluster_name, ServiceName = each.value.service }
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.ecs_utilization_threshold_percent
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "dlq_not_empty" {
  for_each = toset(var.dlq_names)

  alarm_name          = "${var.name}-sqs-${each.key}-not-empty"
  alarm_description   = "Messages are waiting in ${each.key}: inspect and redrive them"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.key }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

# Main queues: consumers are stuck. DLQs: unhandled messages are getting close to expiry.
resource "aws_cloudwatch_metric_alarm" "queue_oldest_message_age" {
  for_each = merge(
    { for q in var.queue_names : q => var.queue_age_threshold_seconds },
    { for q in var.dlq_names : q => var.dlq_age_threshold_seconds },
  )

  alarm_name          = "${var.name}-sqs-${each.key}-oldest-message-age"
  alarm_description   = "Oldest message in ${each.key} older than ${each.value}s"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = each.key }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

# A service running fewer tasks than it should: crashing on start (a bad image, a secret it
# cannot read), stopped by failing health checks, or unable to be placed. Container
# Insights publishes both counts per service; a service with no running task may publish no
# RunningTaskCount at all, so it counts as 0, and no data at all is breaching: zero tasks
# must never look healthy.
resource "aws_cloudwatch_metric_alarm" "ecs_tasks_below_desired" {
  for_each = toset(var.ecs_service_names)

  alarm_name          = "${var.name}-ecs-${each.key}-tasks-below-desired"
  alarm_description   = "${each.key} runs fewer tasks than desired for 5 minutes"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 5
  datapoints_to_alarm = 5 # a rolling deploy or a scale-out catches up well within that
  treat_missing_data  = "breaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "missing"
    expression  = "desired - FILL(running, 0)"
    label       = "tasks missing"
    return_data = true
  }

  metric_query {
    id = "desired"
    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "DesiredTaskCount"
      dimensions  = { ClusterName = var.ecs_cluster_name, ServiceName = each.key }
      stat        = "Maximum"
      period      = 60
    }
  }

  metric_query {
    id = "running"
    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "RunningTaskCount"
      dimensions  = { ClusterName = var.ecs_cluster_name, ServiceName = each.key }
      stat        = "Minimum"
      period      = 60
    }
  }
}

# Unhealthy targets behind the ALB (/ready failing: the database or a queue unreachable), and
# an API with no healthy target at all. The ALB publishes nothing for an empty target
# group, so missing data is breaching here too.
resource "aws_cloudwatch_metric_alarm" "target_group_unhealthy" {
  for_each = var.target_group_arn_suffixes

  alarm_name          = "${var.name}-alb-${each.key}-unhealthy-hosts"
  alarm_description   = "${each.key} has unhealthy targets for 3 minutes"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = { LoadBalancer = var.alb_arn_suffix, TargetGroup = each.value }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "breaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "target_group_no_healthy_host" {
  for_each = var.target_group_arn_suffixes

  alarm_name          = "${var.name}-alb-${each.key}-no-healthy-host"
  alarm_description   = "${each.key} has no healthy target: its API is down"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HealthyHostCount"
  dimensions          = { LoadBalancer = var.alb_arn_suffix, TargetGroup = each.value }
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 2
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}
