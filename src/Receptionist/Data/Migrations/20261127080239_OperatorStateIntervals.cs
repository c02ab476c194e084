using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Receptionist.Data.Migrations
{
    /// <inheritdoc />
    public partial class OperatorStateIntervals : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "operator_state_intervals",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    operator_id = table.Column<Guid>(type: "uuid", nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ended_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_operator_state_intervals", x => x.id);
                    table.ForeignKey(
                        name: "fk_operator_state_intervals_users_operator_id",
                        column: x => x.operator_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_calls_received_at",
                table: "calls",
                column: "received_at");

            migrationBuilder.CreateIndex(
                name: "ix_operator_state_intervals_ended_at",
                table: "operator_state_intervals",
                column: "ended_at");

            migrationBuilder.CreateIndex(
                name: "ix_operator_state_intervals_open",
                table: "operator_state_intervals",
                column: "operator_id",
                unique: true,
                filter: "ended_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_operator_state_intervals_started_at_operator_id",
                table: "operator_state_intervals",
                columns: new[] { "started_at", "operator_id" });

            // Occupancy needs how long each operator spent in each state. Every path that moves an operator writes
            // operator_presence (claim, return, call end, summary, the presence API), so a trigger there records the
            // spans in the same transaction, with the time the change itself carries (updated_at).
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION record_operator_state() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND NEW.state IS NOT DISTINCT FROM OLD.state THEN
                        RETURN NULL;
                    END IF;
                    UPDATE operator_state_intervals SET ended_at = GREATEST(started_at, NEW.updated_at)
                    WHERE operator_id = NEW.operator_id AND ended_at IS NULL;
                    INSERT INTO operator_state_intervals (operator_id, state, started_at)
                    VALUES (NEW.operator_id, NEW.state, NEW.updated_at);
                    RETURN NULL;
                END
                $$;
                DROP TRIGGER IF EXISTS operator_presence_state_intervals ON operator_presence;
                CREATE TRIGGER operator_presence_state_intervals AFTER INSERT OR UPDATE OF state ON operator_presence
                    FOR EACH ROW EXECUTE FUNCTION record_operator_state();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS operator_presence_state_intervals ON operator_presence;
                DROP FUNCTION IF EXISTS record_operator_state();
                """);

            migrationBuilder.DropTable(
                name: "operator_state_intervals");

            migrationBuilder.DropIndex(
                name: "ix_calls_received_at",
                table: "calls");
        }
    }
}
