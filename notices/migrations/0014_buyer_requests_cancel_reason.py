# Officers: buyer requests an operator approves, and the reason a cancelled notice gives its followers.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notices', '0013_buyer_name_sources_contact_source'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='draft',
            name='cancel_reason',
            field=models.TextField(blank=True, help_text='Why the officer cancelled it; shown to followers'),
        ),
        migrations.CreateModel(
            name='BuyerRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('business_id', models.CharField(help_text='Y-tunnus, checked and normalised (0206714-5)', max_length=20)),
                ('name', models.CharField(max_length=500)),
                ('state', models.CharField(choices=[('pending', 'Pending'), ('approved', 'Approved'), ('rejected', 'Rejected')], default='pending', max_length=20)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('buyer', models.ForeignKey(blank=True, help_text='The buyer that has the business ID (once it exists)', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='notices.buyer')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='buyer_requests', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
                'indexes': [models.Index(fields=['state', 'created_at'], name='notices_buy_state_fb6663_idx')],
            },
        ),
    ]
