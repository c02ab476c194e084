using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receptionist.Data.Migrations
{
    /// <inheritdoc />
    public partial class OperatorNotificationsOfferableAt : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The operator's notification says when they can be offered a call again (a cooldown after a decline or a
            // missed offer), so routers are not woken for an operator who cannot take a call yet.
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION notify_operator_changed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND NEW.state IS NOT DISTINCT FROM OLD.state
                       AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at
                       AND NEW.away_reason IS NOT DISTINCT FROM OLD.away_reason THEN
                        RETURN NULL;
                    END IF;
                    PERFORM pg_notify('operator_changed', json_build_object(
                        'operatorId', NEW.operator_id, 'state', NEW.state, 'since', NEW.updated_at, 'reason', NEW.away_reason,
                        'offerableAt', NEW.offerable_at)::text);
                    RETURN NULL;
                END
                $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION notify_operator_changed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND NEW.state IS NOT DISTINCT FROM OLD.state
                       AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at
                       AND NEW.away_reason IS NOT DISTINCT FROM OLD.away_reason THEN
                        RETURN NULL;
                    END IF;
                    PERFORM pg_notify('operator_changed', json_build_object(
                        'operatorId', NEW.operator_id, 'state', NEW.state, 'since', NEW.updated_at, 'reason', NEW.away_reason)::text);
                    RETURN NULL;
                END
                $$;
                """);
        }
    }
}
