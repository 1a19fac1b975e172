{{ header }}

{%- for s in sets %}

resource "aws_ssoadmin_permission_set" "{{ s.ident }}" {
  name = {{ s.name }}
  {%- if let Some(d) = s.description %}
  description = {{ d }}
  {%- endif %}
  instance_arn = local.instance_arn
  session_duration = {{ s.session_duration }}
  {%- if let Some(r) = s.relay_state %}
  relay_state = {{ r }}
  {%- endif %}

  tags = {
    {%- for (k, v) in s.tags %}
    {{ k }} = {{ v }}
    {%- endfor %}
  }
}
{%- if !s.managed.is_empty() %}

resource "aws_ssoadmin_managed_policy_attachment" "{{ s.ident }}" {
  for_each = toset([
    {%- for arn in s.managed %}
    {{ arn }},
    {%- endfor %}
  ])

  instance_arn = local.instance_arn
  managed_policy_arn = each.value
  permission_set_arn = aws_ssoadmin_permission_set.{{ s.ident }}.arn
}
{%- endif %}
{%- if !s.customer.is_empty() %}

resource "aws_ssoadmin_customer_managed_policy_attachment" "{{ s.ident }}" {
  for_each = {
    {%- for (name, path) in s.customer %}
    {{ name }} = {{ path }}
    {%- endfor %}
  }

  instance_arn = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.{{ s.ident }}.arn

  customer_managed_policy_reference {
    name = each.key
    path = each.value
  }
  {%- if let Some(deps) = s.customer_depends_on %}

  {{ deps }}
  {%- endif %}
}
{%- endif %}
{%- if s.has_boundary %}

resource "aws_ssoadmin_permissions_boundary_attachment" "{{ s.ident }}" {
  instance_arn = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.{{ s.ident }}.arn

  permissions_boundary {
    {%- if let Some(arn) = s.boundary_arn %}
    managed_policy_arn = {{ arn }}
    {%- endif %}
    {%- if let Some(cmp) = s.boundary_cmp %}
    customer_managed_policy_reference {
      name = {{ cmp.name }}
      path = {{ cmp.path }}
    }
    {%- endif %}
  }
  {%- if let Some(deps) = s.boundary_depends_on %}

  {{ deps }}
  {%- endif %}
}
{%- endif %}
{%- if let Some(policy) = s.inline_policy %}

resource "aws_ssoadmin_permission_set_inline_policy" "{{ s.ident }}" {
  instance_arn = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.{{ s.ident }}.arn

  inline_policy = {{ policy }}
}
{%- endif %}
{%- endfor %}
