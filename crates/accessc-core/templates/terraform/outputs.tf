{{ header }}

output "permission_set_arns" {
  description = "The ARN of every permission set, by name."
  value = {
    {%- for (name, ident) in permission_sets %}
    {{ name }} = aws_ssoadmin_permission_set.{{ ident }}.arn
    {%- endfor %}
  }
}
