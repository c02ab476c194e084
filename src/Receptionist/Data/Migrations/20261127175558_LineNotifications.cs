using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receptionist.Data.Migrations
{
    /// <inheritdoc />
    public partial class LineNotifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Each instance keeps the dialled line → business → live decision in memory (Features/Calls/LineDirectory.cs)
            // and forgets it on this notification: one per statement that changes what the decision reads. The call
            // path itself changes none of these columns.
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION notify_lines_changed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('lines_changed', '');
                    RETURN NULL;
                END
                $$;
                CREATE TRIGGER receptionist_lines_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON receptionist_lines
                    FOR EACH STATEMENT EXECUTE FUNCTION notify_lines_changed();
                CREATE TRIGGER businesses_lines_changed AFTER INSERT OR DELETE OR TRUNCATE
                    OR UPDATE OF name, language, fallback, backup_number, protected_number, scenario_version_id, forwarding_verified_at
                    ON businesses FOR EACH STATEMENT EXECUTE FUNCTION notify_lines_changed();
                CREATE TRIGGER subscriptions_lines_changed AFTER INSERT OR DELETE OR TRUNCATE
                    OR UPDATE OF business_id, status, grace_until
                    ON subscriptions FOR EACH STATEMENT EXECUTE FUNCTION notify_lines_changed();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS receptionist_lines_changed ON receptionist_lines;
                DROP TRIGGER IF EXISTS businesses_lines_changed ON businesses;
                DROP TRIGGER IF EXISTS subscriptions_lines_changed ON subscriptions;
                DROP FUNCTION IF EXISTS notify_lines_changed();
                """);
        }
    }
}
