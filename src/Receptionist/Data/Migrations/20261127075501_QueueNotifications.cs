using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receptionist.Data.Migrations
{
    /// <inheritdoc />
    public partial class QueueNotifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Each queue notification carries what a console shows (the business name, the arrival), so consoles
            // update themselves and instances keep their queue snapshot without reading the queue back
            // (Features/Console/QueueSnapshot.cs).
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION notify_queue_changed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
                        PERFORM pg_notify('queue_changed', json_build_object(
                            'callId', NEW.id, 'businessId', NEW.business_id, 'status', NEW.status,
                            'businessName', (SELECT b.name FROM businesses b WHERE b.id = NEW.business_id),
                            'receivedAt', NEW.received_at)::text);
                    END IF;
                    RETURN NULL;
                END
                $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION notify_queue_changed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
                        PERFORM pg_notify('queue_changed', json_build_object(
                            'callId', NEW.id, 'businessId', NEW.business_id, 'status', NEW.status)::text);
                    END IF;
                    RETURN NULL;
                END
                $$;
                """);
        }
    }
}
