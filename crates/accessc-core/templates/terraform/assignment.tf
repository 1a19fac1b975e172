resource "aws_ssoadmin_account_assignment" "{{ a.ident }}" {
  for_each = toset([
    {%- for (account, note) in accounts.lines() %}
    {{ account }}, # {{ note }}
    {%- endfor %}
  ])

  instance_arn = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.{{ a.set_ident }}.arn
  principal_type = "{{ a.principal_type }}"
  principal_id = {{ a.principal_id }}
  target_type = "AWS_ACCOUNT"
  target_id = each.value
  {%- if let Some(deps) = a.depends_on %}

  {{ deps }}
  {%- endif %}
}
