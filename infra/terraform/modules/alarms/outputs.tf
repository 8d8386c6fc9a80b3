output "topic_arn" {
  value = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  value = concat(
    [for a in aws_cloudwatch_metric_alarm.alb_5xx : a.alarm_name],
    [aws_cloudwatch_metric_alarm.alb_latency_p95.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.ecs_utilization : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.dlq_not_empty : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.queue_oldest_message_age : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.ecs_tasks_below_desired : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.target_group_unhealthy : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.target_group_no_healthy_host : a.alarm_name],
  )
}
