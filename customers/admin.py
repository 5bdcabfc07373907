from django.contrib import admin

from .models import Customer


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "tier", "contact_person", "phone", "email"]
    list_filter = ["tier"]
    search_fields = ["name", "contact_person", "phone", "email"]
