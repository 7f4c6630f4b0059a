from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('inbox', '0005_retention'),
    ]

    operations = [
        migrations.AddField(
            model_name='ingeststate',
            name='last_new_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='último mensaje nuevo'),
        ),
    ]
