{{ header }}

# Identity-store principals the program names without an id, looked up by
# DisplayName (groups) or UserName (users).
{%- for g in groups %}

data "aws_identitystore_group" "{{ g.ident }}" {
  identity_store_id = local.identity_store_id

  alternate_identifier {
    unique_attribute {
      attribute_path = "DisplayName"
      attribute_value = {{ g.display_name }}
    }
  }
}
{%- endfor %}
{%- for u in users %}

data "aws_identitystore_user" "{{ u.ident }}" {
  identity_store_id = local.identity_store_id

  alternate_identifier {
    unique_attribute {
      attribute_path = "UserName"
      attribute_value = {{ u.display_name }}
    }
  }
}
{%- endfor %}
