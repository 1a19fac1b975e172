{{ header }}

# Attributes for access control: identity-source attributes passed as session
# tags, for `aws:PrincipalTag/<key>` conditions.
resource "aws_ssoadmin_instance_access_control_attributes" "this" {
  instance_arn = local.instance_arn
  {%- for a in attributes %}

  attribute {
    key = {{ a.key }}

    value {
      source = [{{ a.value }}]
    }
  }
  {%- endfor %}
}
