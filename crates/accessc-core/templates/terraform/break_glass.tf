{{ header }}

# Break-glass alarms: every sign-in to a break-glass permission set, in any
# account, is an AssumeRoleWithSAML of its AWSReservedSSO_<name>_<suffix> role
# (under a Region path segment when the instance replicates to other Regions).
# The organization trail's log group sees them all.
{%- for b in alarms %}

resource "aws_cloudwatch_log_metric_filter" "{{ b.ident }}" {
  name = {{ b.filter_name }}
  log_group_name = var.cloudtrail_log_group_name
  pattern = {{ b.pattern }}

  metric_transformation {
    name = {{ b.metric_name }}
    namespace = {{ b.namespace }}
    value = "1"
  }
}

resource "aws_cloudwatch_metric_alarm" "{{ b.ident }}" {
  alarm_name = {{ b.alarm_name }}
  alarm_description = {{ b.description }}
  namespace = aws_cloudwatch_log_metric_filter.{{ b.ident }}.metric_transformation[0].namespace
  metric_name = aws_cloudwatch_log_metric_filter.{{ b.ident }}.metric_transformation[0].name
  statistic = "Sum"
  period = 60
  evaluation_periods = 1
  threshold = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data = "notBreaching"
  {%- if let Some(topic) = b.notify %}
  alarm_actions = [{{ topic }}]
  {%- else %}
  # No `notify` in the program (A503): this alarm pages nobody.
  {%- endif %}
}
{%- endfor %}
